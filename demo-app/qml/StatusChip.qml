// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls

// A small rounded badge (state, offline...).
Rectangle {
    id: chip

    property alias text: label.text
    property color tint: "#ffffff"
    property color textColor: "#ffffff"

    implicitWidth: label.implicitWidth + DemoStyle.unit
    implicitHeight: label.implicitHeight + DemoStyle.spacing
    radius: height / 2
    color: Qt.rgba(tint.r, tint.g, tint.b, 0.22)
    border.color: Qt.rgba(tint.r, tint.g, tint.b, 0.55)

    Label {
        id: label
        anchors.centerIn: parent
        color: chip.textColor
        font.pixelSize: DemoStyle.captionSize
        font.weight: Font.DemiBold
    }
}
