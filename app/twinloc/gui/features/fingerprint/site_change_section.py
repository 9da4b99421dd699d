"""The Site change section of the Fingerprinting dock: move or remove an object of the scene
(one undo step each), see where the twin's radio map changed, which results are stale, and
update the positioning model with accuracy before the change, after it and after the update."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QFrame, QGroupBox, QLabel, QVBoxLayout, QWidget

from twinloc.fingerprint.site_change import MAX_EDIT_M, SceneEdit, SceneEditError
from twinloc.geometry.scene import ObjectKind
from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.fingerprint.changes import SiteChangeController
from twinloc.gui.features.fingerprint.few_labels_section import ERROR_COLUMNS, fill_table, metres_text, readonly_table
from twinloc.gui.widgets.dialogs import show_error
from twinloc.gui.widgets.forms import button_row, push_button, quantity_spin

BANNER_STYLE = "QFrame#staleBanner { background: #fff3bf; border: 1px solid #f08c00; border-radius: 3px; }"
#: Accuracy over "time": (ModelUpdate field, row title).
STAGES = (("before", "Before the change"), ("stale", "After, not updated"), ("updated", "After the update"),
          ("retrained", "Retrained from scratch"))


class SiteChangeSection(QGroupBox):
    """Move / Remove an object; the change map's summary; the stale banner with Update; accuracy over time.

    Signals
    -------
    message(str)
        A short confirmation for the status bar.
    """

    message = Signal(str)

    def __init__(self, document: ProjectDocument, changes: SiteChangeController, parent: QWidget | None = None) -> None:
        super().__init__("Site change", parent)
        self._document = document
        self._changes = changes
        self.object = QComboBox()
        self.object.setToolTip("A solid object of the scene (a shelf, a cabinet, a column)")
        self.shift = [quantity_spin(-MAX_EDIT_M, MAX_EDIT_M, 0.5, 2, " m") for _axis in "xy"]
        for spin, axis in zip(self.shift, "xy", strict=True):
            spin.setToolTip(f"How far to move the object along {axis}")
        self.move_button = push_button("Move", "Move the object (Edit ▸ Undo takes it back)", self._move)
        self.remove_button = push_button("Remove", "Remove the object from the twin (Edit ▸ Undo brings it back)",
                                         self._remove)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.banner = QFrame()
        self.banner.setObjectName("staleBanner")
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.update_button = push_button("Update", "Regenerate the twin's data where the radio map changed and "
                                         "fine-tune the model on it", self._update)
        self.cancel_update_button = push_button("Cancel", "Stop the update (the model stays stale)",
                                                changes.cancel_update)
        self.cancel_update_button.setEnabled(False)
        banner = QVBoxLayout(self.banner)
        banner.addWidget(self.banner_text)
        banner.addLayout(button_row(self.update_button, self.cancel_update_button))
        self.banner.setVisible(False)
        self.accuracy = readonly_table(("Stage", *(header for _field, header in ERROR_COLUMNS)),
                               "The positioning model's test errors on the twin's floor samples", 4)
        self.update_note = QLabel()
        self.update_note.setWordWrap(True)

        form = QFormLayout(self)
        form.addRow("Object", self.object)
        form.addRow("Move by", button_row(*self.shift))
        form.addRow(button_row(self.move_button, self.remove_button))
        form.addRow(self.summary)
        form.addRow(self.banner)
        form.addRow(self.accuracy)
        form.addRow(self.update_note)
        for signal in (document.sceneChanged, document.objectsChanged):
            signal.connect(self._show_objects)
        changes.changesChanged.connect(self._show_changes)
        changes.staleChanged.connect(self._show_stale)
        changes.updateEnded.connect(self._on_updated)
        changes.updateProgress.connect(lambda fraction, text: self.update_note.setText(f"Updating ({fraction:.0%}): {text}…"))
        self._show_objects()
        self._show_changes()
        self._show_stale()

    def _show_objects(self) -> None:
        names = [obj.name for obj in self._document.scene.objects if obj.kind is ObjectKind.SOLID]
        chosen = self.object.currentText()
        self.object.clear()
        self.object.addItems(names)
        if chosen in names:
            self.object.setCurrentText(chosen)

    def _edit(self, edit: SceneEdit, text: str) -> None:
        try:
            self._document.edit_objects((edit,), text)
        except SceneEditError as error:
            show_error(self, "Cannot edit the scene", str(error))
            return
        self.message.emit(text)

    def _move(self) -> None:
        name = self.object.currentText()
        if not name:
            show_error(self, "Cannot move", "The scene has no solid object to move.")
            return
        self._edit(SceneEdit("move", name, vector_m=(self.shift[0].value(), self.shift[1].value(), 0.0)), f"Move {name}")

    def _remove(self) -> None:
        name = self.object.currentText()
        if not name:
            show_error(self, "Cannot remove", "The scene has no solid object to remove.")
            return
        self._edit(SceneEdit("remove", name), f"Remove {name}")

    def _show_changes(self) -> None:
        changes = self._changes.changes
        if changes is None:
            self.summary.setText("Edit the scene to see where the twin's radio map changes.")
            return
        per = ", ".join(f"{name} {int(count)}" for name, count in zip(changes.transmitter_names, changes.changed.sum(axis=0))
                        if count)
        self.summary.setText(f"{int(changes.changed_cells.sum())} of {len(changes.points)} floor cells changed"
                             + (f" (cells per transmitter: {per})" if per else "") + "; the change map is on the floor.")

    def _show_stale(self) -> None:
        stale = self._changes.stale_results()
        self.banner.setVisible(bool(stale))
        self.banner_text.setText("Made on the twin before the change: " + "; ".join(stale) + "." if stale else "")
        self.update_button.setEnabled(self._changes.model_is_stale() and not self._changes.updating)
        self.cancel_update_button.setEnabled(self._changes.updating)
        self._show_update()

    def _update(self) -> None:
        try:
            self._changes.update_model()
        except ValueError as error:
            show_error(self, "Cannot update the model", str(error))
            return
        self.update_button.setEnabled(False)
        self.cancel_update_button.setEnabled(True)
        self.update_note.setText("Updating…")

    def _on_updated(self, outcome: str) -> None:
        self._show_stale()
        if outcome != "finished":
            self.update_note.setText(f"Update {outcome}.")

    def _show_update(self) -> None:
        update = self._changes.update
        if update is None:
            self.accuracy.setRowCount(0)
            self.update_note.setText("")
            return
        fill_table(self.accuracy, [[title, *(metres_text(getattr(getattr(update, field), column)) for column, _h in ERROR_COLUMNS)]
                              for field, title in STAGES])
        self.update_note.setText(f"Update took {update.update_seconds:.1f} s (retraining from scratch "
                                 f"{update.retrain_seconds:.1f} s); {int(update.changes.changed_cells.sum())} cells regenerated.")
