// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material

// A Material button with a flat background of its own: the stock one is drawn
// through a shadow layer that the software renderer leaves out. highlighted:
// the primary action (filled); otherwise a tinted secondary button.
Button {
    id: control

    readonly property bool dark: Material.theme === Material.Dark
    readonly property color tint: Material.accentColor

    Material.elevation: 0

    background: Rectangle {
        implicitWidth: DemoStyle.unit * 4
        implicitHeight: DemoStyle.unit * 2.2
        radius: DemoStyle.radius
        color: {
            if (!control.enabled)
                return Qt.rgba(0.5, 0.5, 0.5, control.dark ? 0.18 : 0.12)
            if (control.highlighted)
                return control.down ? Qt.darker(control.tint, 1.25)
                                    : control.hovered ? Qt.lighter(control.tint, 1.1)
                                                      : control.tint
            if (control.flat)
                return Qt.rgba(control.tint.r, control.tint.g, control.tint.b,
                               control.down ? 0.2 : control.hovered ? 0.1 : 0)
            const alpha = control.down ? 0.28 : control.hovered ? 0.2 : 0.12
            return Qt.rgba(control.tint.r, control.tint.g, control.tint.b, alpha)
        }
        border.width: control.visualFocus ? 2 : 0
        border.color: control.highlighted ? Qt.lighter(control.tint, 1.6) : control.tint
    }
}
