// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// An inline message: what happened, in words, with an optional dismiss button.
Rectangle {
    id: banner

    property alias text: message.text
    property alias title: heading.text
    property color tint: Material.color(Material.Red)
    property bool dismissible: true
    signal dismissed

    implicitWidth: DemoStyle.unit * 12
    implicitHeight: layout.implicitHeight + DemoStyle.spacing * 2
    radius: DemoStyle.radius
    color: Qt.rgba(tint.r, tint.g, tint.b, 0.12)
    border.color: Qt.rgba(tint.r, tint.g, tint.b, 0.5)

    RowLayout {
        id: layout
        anchors.fill: parent
        anchors.leftMargin: DemoStyle.unit
        anchors.rightMargin: DemoStyle.spacing
        anchors.topMargin: DemoStyle.spacing
        anchors.bottomMargin: DemoStyle.spacing
        spacing: DemoStyle.spacing

        Rectangle {
            color: banner.tint
            radius: width / 2
            Layout.preferredWidth: DemoStyle.spacing
            Layout.preferredHeight: DemoStyle.spacing
            Layout.alignment: Qt.AlignTop
            Layout.topMargin: DemoStyle.spacing
        }
        ColumnLayout {
            spacing: 2
            Layout.fillWidth: true
            Label {
                id: heading
                visible: text.length > 0
                font.weight: Font.DemiBold
                wrapMode: Text.WordWrap
                Layout.fillWidth: true
            }
            Label {
                id: message
                wrapMode: Text.WordWrap
                Layout.fillWidth: true
            }
        }
        ToolButton {
            visible: banner.dismissible
            text: qsTr("Dismiss")
            font.pixelSize: DemoStyle.captionSize
            onClicked: banner.dismissed()
            Layout.alignment: Qt.AlignVCenter
        }
    }
}
