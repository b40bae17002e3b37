// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// One "act it out" button, with what it does and what to watch for.
ColumnLayout {
    id: row

    property alias button: actionButton
    property alias text: actionButton.text
    property string explanation
    signal triggered

    spacing: 0
    Layout.fillWidth: true

    DemoButton {
        id: actionButton
        Layout.fillWidth: true
        onClicked: row.triggered()
    }
    Label {
        text: row.explanation
        opacity: 0.65
        font.pixelSize: DemoStyle.captionSize
        wrapMode: Text.WordWrap
        Layout.fillWidth: true
        Layout.bottomMargin: DemoStyle.spacing / 2
    }
}
