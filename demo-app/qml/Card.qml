// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// A titled surface grouping one topic of a page.
Pane {
    id: card

    property string title
    property string subtitle
    default property alias content: body.data

    readonly property bool dark: Material.theme === Material.Dark

    Material.elevation: 0
    padding: DemoStyle.unit
    leftPadding: DemoStyle.margin
    rightPadding: DemoStyle.margin
    background: Rectangle {
        color: DemoStyle.surfaceColor(card.dark)
        radius: DemoStyle.radius * 2
        border.color: DemoStyle.borderColor(card.dark)
    }

    // Width from the card, height from the content: anchoring both would feed the
    // wrapped text's height back into the layout that wraps it (a polish loop).
    ColumnLayout {
        width: parent.width
        spacing: DemoStyle.spacing

        Label {
            text: card.title
            visible: text.length > 0
            font.pixelSize: DemoStyle.headingSize
            font.weight: Font.DemiBold
            Layout.fillWidth: true
            elide: Text.ElideRight
        }
        Label {
            text: card.subtitle
            visible: text.length > 0
            opacity: 0.72
            wrapMode: Text.WordWrap
            Layout.fillWidth: true
        }
        ColumnLayout {
            id: body
            spacing: DemoStyle.spacing
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.topMargin: DemoStyle.spacing / 2
        }
    }
}
