// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts

// What the user came for: their profile and items, loaded with plain
// XMLHttpRequest. The SDK's network access manager adds the token.
Item {
    id: page

    required property var profile
    required property ListModel items
    required property bool loading
    required property string loadError
    required property var lastLoaded
    signal reloadRequested

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: DemoStyle.margin
        spacing: DemoStyle.margin

        RowLayout {
            spacing: DemoStyle.unit
            Layout.fillWidth: true

            // Initials in a circle: a face for the account.
            Rectangle {
                Layout.preferredWidth: DemoStyle.unit * 3
                Layout.preferredHeight: DemoStyle.unit * 3
                radius: width / 2
                color: Material.accentColor
                Label {
                    anchors.centerIn: parent
                    text: page.profile ? page.profile.name.charAt(0) : "?"
                    color: "white"
                    font.pixelSize: DemoStyle.titleSize
                    font.weight: Font.DemiBold
                }
            }
            ColumnLayout {
                spacing: 2
                Layout.fillWidth: true
                Label {
                    objectName: "welcomeLabel"
                    text: page.profile ? qsTr("Welcome, %1").arg(page.profile.name)
                                       : qsTr("Welcome")
                    font.pixelSize: DemoStyle.titleSize
                    font.weight: Font.DemiBold
                    Layout.fillWidth: true
                    elide: Text.ElideRight
                }
                Label {
                    objectName: "emailLabel"
                    text: page.profile ? page.profile.email : " "
                    opacity: 0.72
                    Layout.fillWidth: true
                    elide: Text.ElideRight
                }
            }
            BusyIndicator {
                running: page.loading
                visible: running
                Layout.preferredHeight: DemoStyle.unit * 2
                Layout.preferredWidth: DemoStyle.unit * 2
            }
            DemoButton {
                objectName: "reloadButton"
                text: qsTr("Reload")
                enabled: !page.loading
                onClicked: page.reloadRequested()
            }
        }

        MessageBanner {
            objectName: "loadErrorBanner"
            visible: page.loadError.length > 0
            title: qsTr("Your data could not be loaded")
            text: page.loadError
            dismissible: false
            Layout.fillWidth: true
        }

        Card {
            title: qsTr("Your items")
            subtitle: qsTr("From /api/items, a protected resource. This page asks for it with "
                           + "XMLHttpRequest and never sees a token: the SDK attaches it.")
            stretchContent: true
            Layout.fillWidth: true
            Layout.fillHeight: true

            ListView {
                id: list
                objectName: "itemsList"
                model: page.items
                clip: true
                interactive: contentHeight > height
                Layout.fillWidth: true
                Layout.fillHeight: true
                Layout.minimumHeight: DemoStyle.unit * 6
                delegate: ItemDelegate {
                    required property int index
                    required property string title
                    required property string owner
                    width: ListView.view.width
                    contentItem: RowLayout {
                        spacing: DemoStyle.unit
                        Rectangle {
                            Layout.preferredWidth: DemoStyle.unit * 1.8
                            Layout.preferredHeight: DemoStyle.unit * 1.8
                            radius: DemoStyle.radius
                            color: Qt.rgba(Material.accentColor.r, Material.accentColor.g,
                                           Material.accentColor.b, 0.16)
                            Label {
                                anchors.centerIn: parent
                                text: index + 1
                                color: Material.accentColor
                                font.weight: Font.DemiBold
                            }
                        }
                        Label {
                            text: title
                            Layout.fillWidth: true
                            elide: Text.ElideRight
                        }
                        Label {
                            text: qsTr("owner: %1").arg(owner)
                            opacity: 0.55
                            font.pixelSize: DemoStyle.captionSize
                        }
                    }
                }
                Label {
                    anchors.centerIn: parent
                    visible: list.count === 0
                    text: page.loading ? qsTr("Loading…") : qsTr("No items")
                    opacity: 0.6
                }
            }
        }

        Label {
            objectName: "loadedLabel"
            visible: page.lastLoaded !== null && page.lastLoaded !== undefined
            text: visible ? qsTr("%n item(s) loaded at %1", "", page.items.count)
                            .arg(Qt.formatTime(page.lastLoaded, "hh:mm:ss")) : ""
            opacity: 0.55
            font.pixelSize: DemoStyle.captionSize
        }
    }
}
