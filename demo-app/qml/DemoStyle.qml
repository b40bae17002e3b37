// SPDX-License-Identifier: MIT
pragma Singleton
import QtQuick
import QtQuick.Controls

// Sizes derived from the style's body font, never fixed pixel values: the UI
// follows the user's font size and the screen's scale factor.
QtObject {
    id: style

    readonly property Label probe: Label { text: "M" }
    readonly property FontMetrics metrics: FontMetrics { font: style.probe.font }

    //! One line of body text: the unit for margins and widths.
    readonly property real unit: Math.ceil(metrics.height)
    readonly property real spacing: Math.round(unit * 0.5)
    readonly property real margin: Math.round(unit * 1.25)
    readonly property real radius: Math.round(unit * 0.4)

    readonly property real bodyPixels: probe.font.pixelSize > 0
                                       ? probe.font.pixelSize
                                       : Math.round(probe.font.pointSize * 4 / 3)
    readonly property real displaySize: Math.round(bodyPixels * 2.0)
    readonly property real titleSize: Math.round(bodyPixels * 1.55)
    readonly property real headingSize: Math.round(bodyPixels * 1.2)
    readonly property real captionSize: Math.round(bodyPixels * 0.88)

    readonly property string monoFamily: "monospace"

    // Flat surfaces with hairline borders rather than Material shadows: the
    // software renderer (offscreen, remote desktops, VMs) draws no elevation.
    function windowColor(dark) { return dark ? "#16171b" : "#f3f4f8" }
    function surfaceColor(dark) { return dark ? "#212227" : "#ffffff" }
    function borderColor(dark) { return dark ? "#33353d" : "#e1e3ea" }
    function barColor(dark) { return dark ? "#252a40" : "#3f51b5" }
}
