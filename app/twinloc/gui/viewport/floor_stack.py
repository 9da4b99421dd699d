"""The floor stack: the one owner of what the viewport's floor shows.

Features publish :class:`~twinloc.geometry.floor_layer.FloorLayer` values under a key ("los",
"error_map"); the stack decides what is shown and is the only object that draws on the floor.
One layer is active, chosen by the user in the View menu (the layers' actions are exclusive,
and all may be off); a feature may put a preview on top (a proposed layout's error map),
which ends cleanly and gives the floor back to the active layer. A result for an older input
is dropped: a feature takes a new revision of its key when it starts computing, and a layer
published with an older revision is ignored.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from twinloc.geometry.floor_layer import FloorLayer


class FloorStack(QObject):
    """The layers of a viewport's floor, and which one is shown.

    Parameters
    ----------
    viewport : SceneViewport
        Only its ``set_floor_map``/``clear_floor_map`` and
        ``set_floor_markers``/``clear_floor_markers`` are used, and only by this object.

    Signals
    -------
    activeChanged(object)
        The key of the layer the user turned on, or None (all off).
    shownChanged()
        What the floor shows changed (a layer published, switched, previewed or withdrawn).
    """

    activeChanged = Signal(object)
    shownChanged = Signal()

    def __init__(self, viewport, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._viewport = viewport
        self._actions: dict[str, QAction] = {}
        self._layers: dict[str, FloorLayer | None] = {}
        self._revisions: dict[str, int] = {}
        self._active: str | None = None
        self._replaced: str | None = None
        self._preview: tuple[str, FloorLayer] | None = None
        self._drawn: FloorLayer | None = None

    # ------------------------------------------------------------------ the layers

    def register(self, key: str, title: str, shortcut: str = "", tip: str = "", active: bool = False) -> QAction:
        """Add the layer ``key`` and return its checkable View-menu action ("&LOS Map").

        ``active``: turn it on now (the layer shown at start-up).
        """
        if key in self._actions:
            raise ValueError(f"the floor layer {key!r} is registered already")
        action = QAction(title, self)
        action.setCheckable(True)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.toggled.connect(lambda checked: self._on_toggled(key, checked))
        self._actions[key] = action
        self._layers[key] = None
        self._revisions[key] = 0
        if active:
            self.set_active(key)
        return action

    def actions(self) -> list[QAction]:
        """The layers' actions, in the order they were registered."""
        return list(self._actions.values())

    def action(self, key: str) -> QAction:
        return self._actions[key]

    def layer(self, key: str) -> FloorLayer | None:
        """The layer last published under ``key`` (None: nothing to show)."""
        return self._layers[key]

    @property
    def active(self) -> str | None:
        """The key of the layer the user turned on, or None."""
        return self._active

    @property
    def previewing(self) -> str | None:
        """The key whose preview is on the floor, or None."""
        return self._preview[0] if self._preview is not None else None

    @property
    def shown(self) -> FloorLayer | None:
        """What the floor shows: the preview, else the active layer (None: a bare floor)."""
        if self._preview is not None:
            return self._preview[1]
        return self._layers[self._active] if self._active is not None else None

    # ------------------------------------------------------------------ choosing

    def set_active(self, key: str | None) -> None:
        """Turn the layer ``key`` on and every other off (None: all off)."""
        if key is not None and key not in self._actions:
            raise KeyError(f"no floor layer {key!r}")
        if key == self._active:
            return
        self._replaced, self._active = self._active, key
        for name, action in self._actions.items():
            action.setChecked(name == key)
        self.activeChanged.emit(key)
        self._draw()

    def release(self, key: str) -> None:
        """``key``'s feature cannot show its layer any more: if it is on, the layer it replaced comes back."""
        if self._active == key:
            self.set_active(self._replaced if self._replaced != key else None)

    # ------------------------------------------------------------------ publishing

    def revise(self, key: str) -> int:
        """A new input of ``key`` is being computed: layers published with older revisions are dropped."""
        self._revisions[key] += 1
        return self._revisions[key]

    def publish(self, key: str, layer: FloorLayer | None, revision: int) -> bool:
        """Make ``layer`` the layer of ``key`` (None: nothing to show); False when ``revision``
        is not the newest (the layer belongs to an older input and is dropped)."""
        if revision != self._revisions[key]:
            return False
        self._layers[key] = layer
        self._draw()
        return True

    def withdraw(self, key: str) -> None:
        """Drop the layer of ``key`` and any result still being computed for it."""
        self.publish(key, None, self.revise(key))

    def show_preview(self, key: str, layer: FloorLayer) -> None:
        """Show ``layer`` on top of the active layer until :meth:`end_preview` (replacing another preview)."""
        self._preview = (key, layer)
        self._draw()

    def end_preview(self, key: str) -> None:
        """End ``key``'s preview, if it is on: the active layer is shown again."""
        if self.previewing == key:
            self._preview = None
            self._draw()

    # ------------------------------------------------------------------ drawing

    def _on_toggled(self, key: str, checked: bool) -> None:
        if checked:
            self.set_active(key)
        elif self._active == key:
            self.set_active(None)

    def _draw(self) -> None:
        layer = self.shown
        if layer is self._drawn:
            return
        self._drawn = layer
        # Markers first: the colour bar of arrows coloured by length may bear the new map's title.
        self._viewport.clear_floor_markers()
        if layer is not None and layer.has_map:
            self._viewport.set_floor_map(
                layer.grid, layer.values, layer.legend_title, cmap=layer.cmap, clim=layer.clim, categorical=layer.categorical
            )
        else:
            self._viewport.clear_floor_map()
        if layer is not None and (layer.markers or layer.caption):
            self._viewport.set_floor_markers(list(layer.markers), layer.caption)
        self.shownChanged.emit()
