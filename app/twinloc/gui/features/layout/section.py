"""The Optimize section of the Anchors dock: settings, mounting regions, run, results, and how many anchors.

A view of :class:`~twinloc.gui.features.layout.controller.LayoutController` and of the document:
it reads its widgets into a run, lists the results and forwards the user's choices (preview,
compare, accept, export, import). Nothing here computes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinloc.gui.document import ProjectDocument
from twinloc.gui.features.layout.compare import LayoutCompareDialog
from twinloc.gui.features.layout.controller import LayoutController
from twinloc.gui.features.layout.count_controller import CountController
from twinloc.gui.features.layout.count_part import AnchorCountPart
from twinloc.gui.widgets.convergence_plot import ConvergencePlot
from twinloc.gui.widgets.dialogs import show_error
from twinloc.gui.widgets.forms import button_row, fit_rows, push_button

#: Result columns: header and tooltip. Units are in the caption above the table, which keeps
#: the columns narrow enough to fit the dock without a horizontal scroll bar.
RESULT_HEADERS = (
    ("#", "Rank by Sum; \"now\" is the layout in the project"),
    ("Sum", "Summed positioning error over the floor cells (weighted), metres"),
    ("Mean", "Mean positioning error of the cells with a fix, metres"),
    ("p90", "90th percentile of the positioning error, metres"),
    ("Max", "Largest positioning error, metres"),
    ("Violations", "Main-area cells above the threshold or without a fix"),
)
#: The results table is tall enough for this many rows at least (5 proposals and "now" by default).
RESULT_ROWS_SHOWN = 6
DEVIATION_HEADERS = ("Name", "Plan (m)", "As built (m)", "Deviation (m)")
#: What the drawing kinds put on which plane.
DRAW_KINDS = {"Ceiling area": ("ceiling", False), "Floor area": ("floor", False), "Wall band": ("band", True)}


class OptimizeSection(QWidget):
    """Settings, regions, Run/Cancel, the convergence plot and the results of layout optimization.

    Signals
    -------
    message(str)
        A short note for the status bar.
    """

    message = Signal(str)

    def __init__(self, document: ProjectDocument, controller: LayoutController, count_controller: CountController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OptimizeSection")
        self._document = document
        self.controller = controller

        # -- what to optimize
        self.anchor_count = _spin(1, 32, 4, "Anchors the optimizer places (in addition to the fixed ones)")
        self.min_distance = _double(0.0, 100.0, 1.0, " m", "Least distance between any two anchors")
        self.use_threshold = QCheckBox("Main-area threshold")
        self.use_threshold.setToolTip("Hold the error in main-area cells below this value")
        self.threshold = _double(0.01, 50.0, 0.3, " m", "Error allowed in main-area cells")
        self.threshold.setEnabled(False)
        self.use_threshold.toggled.connect(self.threshold.setEnabled)
        self.population = _spin(4, 500, 30, "Slime mould agents per iteration")
        self.iterations = _spin(1, 1000, 40, "Iterations of the slime mould algorithm")
        self.seed = _spin(0, 2**31 - 1, 0, "The same seed gives the same result")
        threshold_row = QHBoxLayout()
        threshold_row.addWidget(self.use_threshold)
        threshold_row.addWidget(self.threshold, 1)
        form = QFormLayout()
        form.addRow("Anchors to place", self.anchor_count)
        form.addRow("Min distance", self.min_distance)
        form.addRow(threshold_row)
        form.addRow("Population", self.population)
        form.addRow("Iterations", self.iterations)
        form.addRow("Seed", self.seed)

        self.fixed_list = QListWidget()
        self.fixed_list.setToolTip("Checked anchors are installed already and stay where they are")
        self.fixed_list.setMaximumHeight(78)

        # -- mounting regions
        self.region_list = QListWidget()
        self.region_list.setToolTip("Checked regions are where the optimizer may mount anchors")
        self.region_list.setMaximumHeight(110)
        self.region_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.region_list.itemChanged.connect(lambda _item: self._show_regions())
        self.draw_kind = QComboBox()
        self.draw_kind.addItems(list(DRAW_KINDS))
        self.draw_kind.currentTextChanged.connect(self._on_draw_kind)
        self.draw_height = _double(0.0, 100.0, 2.0, " m", "Height of the plane the clicks land on (the mounting height)")
        self.draw_button = QPushButton("Draw")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip("Click in the view to add vertices; double-click or Enter closes, Esc cancels")
        self.draw_button.toggled.connect(self._on_draw_toggled)
        self.delete_region_button = push_button("Delete", "Delete the selected drawn regions", self._delete_regions)
        self.show_regions = QCheckBox("Show in view")
        self.show_regions.toggled.connect(lambda _on: self._show_regions())
        draw_row = QHBoxLayout()
        draw_row.addWidget(self.draw_kind, 1)
        draw_row.addWidget(self.draw_height)
        draw_row.addWidget(self.draw_button)
        region_buttons = QHBoxLayout()
        region_buttons.addWidget(self.show_regions)
        region_buttons.addStretch(1)
        region_buttons.addWidget(self.delete_region_button)

        # -- run
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop and keep the best layouts found so far")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(controller.cancel)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.plot = ConvergencePlot(self)
        run_row = button_row(self.run_button, self.cancel_button)

        # -- results
        self.results_caption = QLabel("")
        self.results_caption.setWordWrap(True)
        self.results = QTableWidget(0, len(RESULT_HEADERS))
        for column, (text, tip) in enumerate(RESULT_HEADERS):
            header = QTableWidgetItem(text)
            header.setToolTip(tip)
            self.results.setHorizontalHeaderItem(column, header)
        self.results.verticalHeader().hide()
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.results.horizontalHeader().setStretchLastSection(True)
        fit_rows(self.results, RESULT_ROWS_SHOWN, scroll_bar=True)
        self.results.itemSelectionChanged.connect(self._on_result_selected)
        self.compare_button = push_button("Compare…", "The current layout's error map beside the selected layout's", self.compare)
        self.accept_button = push_button("Accept", "Replace the anchors with the selected layout (undoable)", self.accept_selected)
        self.export_button = push_button("Export installation sheet…", "CSV and a printable HTML page of the selected layout (or of the anchors)", self.export_sheet)
        self.import_button = push_button("Import as-built…", "Move the anchors to the positions measured on site (CSV name,x_m,y_m,z_m)", self.import_as_built)
        result_buttons = button_row(self.compare_button, self.accept_button)
        site_buttons = button_row(self.export_button, self.import_button)
        self.deviation_table = QTableWidget(0, len(DEVIATION_HEADERS))
        self.deviation_table.setHorizontalHeaderLabels(DEVIATION_HEADERS)
        self.deviation_table.verticalHeader().hide()
        self.deviation_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.deviation_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.deviation_table.horizontalHeader().setStretchLastSection(True)
        self.deviation_table.setMaximumHeight(130)
        self.deviation_table.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(_group("Layout", form))
        layout.addWidget(_group("Keep fixed", _single(self.fixed_list)))
        regions = QVBoxLayout()
        regions.addWidget(self.region_list)
        regions.addLayout(draw_row)
        regions.addLayout(region_buttons)
        layout.addWidget(_group("Mounting regions", regions))
        run = QVBoxLayout()
        run.addLayout(run_row)
        run.addWidget(self.status)
        run.addWidget(self.plot)
        layout.addWidget(_group("Run", run))
        results = QVBoxLayout()
        results.addWidget(self.results_caption)
        results.addWidget(self.results)
        results.addLayout(result_buttons)
        results.addLayout(site_buttons)
        results.addWidget(self.deviation_table)
        layout.addWidget(_group("Results", results))
        self.count_part = AnchorCountPart(count_controller, self)
        self.count_part.message.connect(self.message)
        layout.addWidget(self.count_part)
        layout.addStretch(1)

        document.anchorsChanged.connect(self._show_anchors)
        document.sceneChanged.connect(self._show_regions_list)
        document.mountingRegionsChanged.connect(self._show_regions_list)
        controller.runStarted.connect(self._on_run_started)
        controller.iterationDone.connect(self._on_iteration)
        controller.studyChanged.connect(self._show_results)
        controller.runEnded.connect(self._on_run_ended)
        controller.regionDrawn.connect(self._on_region_drawn)
        controller.drawingEnded.connect(lambda: self._set_draw_button(False))
        self.anchor_count.setValue(max(len(document.project.anchors), 3))
        self._show_anchors()
        self._show_regions_list()
        self._show_results()
        self._on_draw_kind(self.draw_kind.currentText())

    # ------------------------------------------------------------------ reading the widgets

    def fixed_names(self) -> list[str]:
        return [item.text() for item in _items(self.fixed_list) if item.checkState() == Qt.CheckState.Checked]

    def chosen_regions(self) -> list[str]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in _items(self.region_list) if item.checkState() == Qt.CheckState.Checked]

    def selected_result(self) -> int | None:
        rows = self.results.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    # ------------------------------------------------------------------ commands

    def run(self) -> None:
        try:
            self.controller.run(
                anchor_count=self.anchor_count.value(),
                fixed_names=self.fixed_names(),
                region_names=self.chosen_regions(),
                min_distance_m=self.min_distance.value(),
                main_threshold_m=self.threshold.value() if self.use_threshold.isChecked() else None,
                population=self.population.value(),
                iterations=self.iterations.value(),
                seed=self.seed.value(),
            )
        except ValueError as error:
            show_error(self, "Cannot optimize the layout", str(error))

    def accept_selected(self) -> None:
        index = self.selected_result()
        if index is None:
            return
        self.controller.accept(index)
        self.message.emit(f"Accepted layout {index + 1}; Undo brings the previous anchors back")

    def compare(self) -> None:
        index = self.selected_result()
        study = self.controller.study
        if index is None or study is None:
            return
        self.compare_dialog = LayoutCompareDialog(study, index, self.controller.shared_clim(), self._document.scene, self)
        self.compare_dialog.show()

    def export_sheet(self) -> None:
        index = self.selected_result()
        name = f"{self._document.display_name}-installation.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export Installation Sheet", str(Path.home() / name), "CSV files (*.csv)")
        if not path:
            return
        target = Path(path) if Path(path).suffix.lower() == ".csv" else Path(f"{path}.csv")
        try:
            csv_path, html_path = self.controller.export_sheet(index, target)
        except OSError as error:
            show_error(self, "Could not export the installation sheet", f"{target}: {error.strerror or error}")
            return
        self.message.emit(f"Installation sheet written: {csv_path.name} and {html_path.name}")

    def import_as_built(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import As-Built Positions", str(Path.home()), "CSV files (*.csv);;All files (*)")
        if not path:
            return
        try:
            rows = self.controller.import_as_built(path)
        except (OSError, ValueError) as error:
            show_error(self, "Could not import the as-built positions", str(error))
            return
        self._show_deviations(rows)
        reported = [row for row in rows if row["distance_m"] is not None]
        worst = max((row["distance_m"] for row in reported), default=0.0)
        self.message.emit(f"Imported {len(reported)} as-built positions; largest deviation {100 * worst:.1f} cm")

    # ------------------------------------------------------------------ document and optimizer → widgets

    def _show_anchors(self) -> None:
        checked = set(self.fixed_names())
        self.fixed_list.clear()
        for anchor in self._document.project.anchors:
            if not anchor.enabled:
                continue
            item = QListWidgetItem(anchor.name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if anchor.name in checked else Qt.CheckState.Unchecked)
            self.fixed_list.addItem(item)

    def _show_regions_list(self) -> None:
        previous = {item.data(Qt.ItemDataRole.UserRole): item.checkState() for item in _items(self.region_list)}
        self.region_list.blockSignals(True)
        self.region_list.clear()
        drawn = {region.name for region in self._document.project.mounting_regions}
        for name in self.controller.region_names():
            item = QListWidgetItem(name if name in drawn else f"{name}  (scene)")
            item.setData(Qt.ItemDataRole.UserRole, name)
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
            if name in drawn:
                flags |= Qt.ItemFlag.ItemIsSelectable
            item.setFlags(flags)
            item.setCheckState(previous.get(name, Qt.CheckState.Checked))
            self.region_list.addItem(item)
        self.region_list.blockSignals(False)
        self._show_regions()

    def _show_regions(self) -> None:
        self.controller.show_regions(self.chosen_regions() if self.show_regions.isChecked() else None)

    def _on_run_started(self, iterations: int) -> None:
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("Preparing the mounting sites…")
        self.plot.start(iterations, self.controller.request.objective_resolution_m)
        self.results.setRowCount(0)

    def _on_iteration(self, t: int, convergence) -> None:
        self.status.setText(f"Iteration {t} of {self.iterations.value()}: best {convergence[-1]:.1f} m (ghosts show it)")
        self.plot.show_curve(convergence)

    def _on_run_ended(self, outcome: str) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        study = self.controller.study
        if outcome == "failed":
            self.status.setText("The optimization failed.")
        elif outcome == "cancelled" and (study is None or not study.optimization.layouts):
            self.status.setText("Cancelled before the search began.")
        elif outcome == "cancelled":
            done = len(study.optimization.convergence)
            self.status.setText(f"Cancelled after {done} of {study.request.iterations} iterations: best layouts so far below.")
        else:
            optimization = study.optimization
            self.status.setText(f"{optimization.evaluations} layouts evaluated in {optimization.seconds:.1f} s.")
        if study is not None and outcome != "failed":
            self.plot.show_curve(study.optimization.convergence)

    def _show_results(self) -> None:
        study = self.controller.study
        selected = self.selected_result()
        self.results.blockSignals(True)
        self.results.setRowCount(0)
        rows = []
        if study is not None:
            # Proposals come best Sum first (the optimizer orders them); the current layout is
            # listed for reference below them, so that row i is layout i.
            rows += [(str(i + 1), layout.stats) for i, layout in enumerate(study.optimization.layouts)]
            if study.current_stats is not None:
                rows.append(("now", study.current_stats))
            request = study.request
            self.results_caption.setText(
                f"Best Sum first. Errors in metres on the {request.resolution_m:g} m map grid; the curve above "
                f"is the search objective on its own {request.objective_resolution_m:g} m grid, so its sums differ."
            )
        self.results_caption.setVisible(study is not None)
        self.results.setRowCount(len(rows))
        for row, (label, stats) in enumerate(rows):
            cells = [label, _metres(stats["sum_error_m"], 1), _metres(stats["mean_error_m"]), _metres(stats["p90_error_m"]),
                     _metres(stats["max_error_m"]), str(stats["main_area_violations"])]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if label == "now":
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                    item.setForeground(Qt.GlobalColor.darkGray)
                    item.setToolTip("The layout in the project now, for comparison")
                self.results.setItem(row, column, item)
        if selected is not None and study is not None and selected < len(study.optimization.layouts):
            self.results.selectRow(selected)  # the previewed proposal stays selected when "now" is scored again
        self.results.blockSignals(False)
        self._update_result_buttons()

    def _on_result_selected(self) -> None:
        index = self.selected_result()
        if index is not None and (self.controller.study is None or index >= len(self.controller.study.optimization.layouts)):
            index = None
        self.controller.preview(index)
        self._update_result_buttons()

    def _update_result_buttons(self) -> None:
        study = self.controller.study
        index = self.selected_result()
        has = study is not None and index is not None and index < len(study.optimization.layouts)
        self.accept_button.setEnabled(has)
        self.compare_button.setEnabled(has and study.current_map is not None)

    def _show_deviations(self, rows: list[dict]) -> None:
        self.deviation_table.setRowCount(len(rows))
        for row, entry in enumerate(rows):
            cells = [
                entry["name"],
                _point(entry["planned"]),
                _point(entry["as_built"]) if entry["as_built"] is not None else "not reported",
                f"{entry['distance_m']:.3f}" if entry["distance_m"] is not None else "—",
            ]
            for column, text in enumerate(cells):
                self.deviation_table.setItem(row, column, QTableWidgetItem(text))
        self.deviation_table.show()

    # ------------------------------------------------------------------ drawing regions

    def _on_draw_kind(self, text: str) -> None:
        plane, _ = DRAW_KINDS[text]
        bounds = self._document.scene.bounds
        height = {"ceiling": float(bounds[1, 2]) - 0.05, "floor": 0.05}.get(plane, self._document.project.settings.mounting_height_m)
        self.draw_height.setValue(max(height, 0.0))

    def _on_draw_toggled(self, on: bool) -> None:
        drawer = self.controller.drawer
        if on and not drawer.active:
            _, polyline = DRAW_KINDS[self.draw_kind.currentText()]
            drawer.start(self.draw_height.value(), polyline)
            self.message.emit("Click to add vertices; double-click or Enter closes the region, Esc cancels")
        elif not on and drawer.active:
            drawer.cancel()

    def _set_draw_button(self, on: bool) -> None:
        self.draw_button.blockSignals(True)
        self.draw_button.setChecked(on)
        self.draw_button.blockSignals(False)

    def _on_region_drawn(self, polygon, polyline: bool) -> None:
        try:
            name = self.controller.add_region(polygon, polyline, self.draw_height.value())
        except ValueError as error:
            show_error(self, "Cannot add the mounting region", str(error))
            return
        self.show_regions.setChecked(True)
        self.message.emit(f"Added mounting region {name}")

    def _delete_regions(self) -> None:
        names = [item.data(Qt.ItemDataRole.UserRole) for item in self.region_list.selectedItems()]
        self.controller.delete_regions(names)


def _items(widget: QListWidget) -> list[QListWidgetItem]:
    return [widget.item(row) for row in range(widget.count())]


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    return box


def _double(low: float, high: float, value: float, suffix: str, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(2)
    box.setSingleStep(0.1)
    box.setValue(value)
    box.setSuffix(suffix)
    box.setToolTip(tip)
    return box


def _group(title: str, layout) -> QGroupBox:
    box = QGroupBox(title)
    box.setLayout(layout)
    return box


def _single(widget: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout()
    layout.addWidget(widget)
    return layout


def _metres(value, decimals: int = 3) -> str:
    return "—" if value is None else f"{value:.{decimals}f}"


def _point(point) -> str:
    return ", ".join(f"{c:.2f}" for c in point)
