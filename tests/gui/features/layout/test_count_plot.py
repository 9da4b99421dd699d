"""The "How many anchors?" curve fits its text in the plot's own size."""

from __future__ import annotations

import pytest

from twinloc.gui.features.layout.count_plot import CountPlot

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("width_px", [320, 380])
def test_title_and_labels_lie_inside_the_figure(qtbot, width_px):
    """At the widths the Optimize tab gives the plot, no text runs past the figure's edges."""
    plot = CountPlot()
    qtbot.addWidget(plot)
    plot.resize(width_px, plot.height())
    figure = plot.figure
    figure.set_size_inches(width_px / figure.dpi, plot.height() / figure.dpi)
    plot.canvas.draw()
    renderer = plot.canvas.get_renderer()
    for text in (plot.axes.title, plot.axes.xaxis.label, plot.axes.yaxis.label):
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width_px, (text.get_text(), box)
        assert box.y0 >= 0 and box.y1 <= plot.height(), (text.get_text(), box)


def test_no_margin_is_wasted_on_markers_not_drawn(qtbot):
    """With no crossed count and no ring, the axis labels sit at the figure's left and bottom edges.

    An empty line drawn unclipped reports a marker-sized box at the figure's origin; laid out,
    it pushed the axes a quarter of the width to the right and half the height up.
    """
    plot = CountPlot()
    qtbot.addWidget(plot)
    width_px = 420
    plot.resize(width_px, plot.height())
    figure = plot.figure
    figure.set_size_inches(width_px / figure.dpi, plot.height() / figure.dpi)
    plot.show_study(None)
    plot.canvas.draw()
    renderer = plot.canvas.get_renderer()
    assert plot.axes.yaxis.label.get_window_extent(renderer).x0 <= 10.0
    assert plot.axes.xaxis.label.get_window_extent(renderer).y0 <= 10.0
