"""The 3D viewport: the plotter widget, what it draws (scene, anchors, floor map and markers,
ghosts, labels, rays, regions), picking and the one mouse dispatcher, and the floor stack that
owns what the floor shows. Everything here runs on the GUI thread."""
