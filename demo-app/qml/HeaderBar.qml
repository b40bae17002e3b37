// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import SecureTokens

// The product header: name, who is signed in, connection state, theme, sign out.
ToolBar {
    id: bar

    required property SessionController controller
    required property bool dark
    signal toggleTheme
    signal signOutRequested

    Material.foreground: "white"
    Material.background: DemoStyle.barColor(dark)
    Material.elevation: 0
    topPadding: DemoStyle.spacing
    bottomPadding: DemoStyle.spacing

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: DemoStyle.margin
        anchors.rightMargin: DemoStyle.spacing
        spacing: DemoStyle.spacing

        // A simple mark: a key-hole in a rounded square.
        Rectangle {
            Layout.preferredWidth: DemoStyle.unit * 1.6
            Layout.preferredHeight: DemoStyle.unit * 1.6
            radius: DemoStyle.radius
            color: Qt.rgba(1, 1, 1, 0.18)
            border.color: Qt.rgba(1, 1, 1, 0.6)
            Rectangle {
                width: parent.width * 0.3
                height: width
                radius: width / 2
                color: "white"
                anchors.horizontalCenter: parent.horizontalCenter
                y: parent.height * 0.22
            }
            Rectangle {
                width: parent.width * 0.14
                height: parent.height * 0.34
                color: "white"
                anchors.horizontalCenter: parent.horizontalCenter
                y: parent.height * 0.42
            }
        }
        Label {
            text: "SecureTokens"
            font.pixelSize: DemoStyle.titleSize
            font.weight: Font.DemiBold
        }
        Label {
            text: qsTr("Demo")
            opacity: 0.75
            font.pixelSize: DemoStyle.headingSize
            Layout.alignment: Qt.AlignBaseline
        }

        Item { Layout.fillWidth: true }

        StatusChip {
            objectName: "offlineIndicator"
            visible: bar.controller.offline
            text: qsTr("Offline · session kept")
            tint: Material.color(Material.Amber)
        }
        StatusChip {
            objectName: "sessionChip"
            tint: "white"
            text: {
                switch (bar.controller.state) {
                case SessionController.Restoring: return qsTr("Restoring session…")
                case SessionController.SigningIn: return qsTr("Signing in…")
                case SessionController.Refreshing: return qsTr("Renewing access…")
                case SessionController.SignedIn:
                    return bar.controller.subject.length > 0
                            ? qsTr("Signed in as %1").arg(bar.controller.subject)
                            : qsTr("Signed in")
                case SessionController.ReauthenticationRequired: return qsTr("Session ended")
                default: return qsTr("Signed out")
                }
            }
        }
        ToolButton {
            objectName: "themeButton"
            text: bar.dark ? qsTr("Light theme") : qsTr("Dark theme")
            focusPolicy: Qt.TabFocus
            onClicked: bar.toggleTheme()
        }
        ToolButton {
            objectName: "headerSignOutButton"
            visible: bar.controller.signedIn
            text: qsTr("Sign out")
            onClicked: bar.signOutRequested()
        }
    }
}
