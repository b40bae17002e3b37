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
    //! The content takes the height the card is given beyond its own (a list filling a page).
    property bool stretchContent: false

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

    // Width from the card, height from the content. A positioner, not a
    // layout: pages put layouts with wrapped text (height-for-width) inside
    // cards, and every extra layout level on top of them costs Qt Quick
    // Layouts one more polish pass, past the two it allows ("polish loop").
    Column {
        id: column
        width: parent.width
        height: card.stretchContent ? parent.height : implicitHeight
        spacing: DemoStyle.spacing

        Label {
            text: card.title
            visible: text.length > 0
            width: parent.width
            font.pixelSize: DemoStyle.headingSize
            font.weight: Font.DemiBold
            elide: Text.ElideRight
        }
        Label {
            text: card.subtitle
            visible: text.length > 0
            width: parent.width
            opacity: 0.72
            wrapMode: Text.WordWrap
        }
        ColumnLayout {
            id: body
            width: parent.width
            height: card.stretchContent ? Math.max(implicitHeight, column.height - y)
                                        : implicitHeight
            spacing: DemoStyle.spacing
        }
    }
}
