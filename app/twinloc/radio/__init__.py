"""Radio maps from the twin: path gain, RSS, range, LOS and multipath features per floor cell.

``itu``: complex permittivity of the materials (ITU-R P.2040); ``fresnel``: reflection and
transmission coefficients; ``specular``: image-method paths with transmission through walls;
``radiomap``: the map of every transmitter over a set of points; ``transmitters``: the
scene's access points and anchors as transmitters.
"""
