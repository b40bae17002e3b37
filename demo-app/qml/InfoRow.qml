// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// "Label: value" with an optional explanation underneath.
ColumnLayout {
    id: row

    property string label
    property string value
    property string detail
    property bool monospace: false
    property color valueColor: Material.foreground
    property alias valueLabel: valueText

    spacing: 2
    Layout.fillWidth: true

    RowLayout {
        spacing: DemoStyle.spacing
        Layout.fillWidth: true
        Label {
            text: row.label
            opacity: 0.72
            Layout.preferredWidth: DemoStyle.unit * 7
            elide: Text.ElideRight
        }
        Label {
            id: valueText
            text: row.value
            color: row.valueColor
            font.family: row.monospace ? DemoStyle.monoFamily : DemoStyle.probe.font.family
            font.weight: Font.DemiBold
            font.pixelSize: DemoStyle.headingSize
            Layout.fillWidth: true
            elide: Text.ElideRight
        }
    }
    Label {
        text: row.detail
        visible: text.length > 0
        opacity: 0.6
        font.pixelSize: DemoStyle.captionSize
        wrapMode: Text.WordWrap
        Layout.fillWidth: true
        Layout.leftMargin: DemoStyle.unit * 7 + DemoStyle.spacing
    }
}
