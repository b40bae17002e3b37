// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import SecureTokens

// Sign-in: username and password (the password grant), or the browser
// (authorization code + PKCE). Also the re-authentication screen after the
// server ended the session.
Item {
    id: page

    required property SessionController controller
    required property url serverUrl

    readonly property bool reauthentication:
        controller.state === SessionController.ReauthenticationRequired
    readonly property bool working: controller.state === SessionController.SigningIn
                                    || controller.state === SessionController.Restoring
    readonly property bool canSubmit: !working && username.text.length > 0
                                      && password.text.length > 0
    //! A browser sign-in waits for the user to come back from the browser.
    property bool waitingForBrowser: false
    onWorkingChanged: if (!working) waitingForBrowser = false

    function submit() {
        if (!canSubmit)
            return
        controller.signIn(username.text, password.text)
        // The password is not kept on screen once handed to the SDK.
        password.clear()
    }

    //! Puts the keyboard focus in the first empty field.
    function focusForm() {
        if (username.text.length === 0)
            username.forceActiveFocus()
        else
            password.forceActiveFocus()
    }

    onVisibleChanged: if (visible) focusForm()
    Component.onCompleted: focusForm()

    Card {
        id: card
        anchors.centerIn: parent
        width: Math.min(parent.width - DemoStyle.margin * 2, DemoStyle.unit * 26)
        padding: DemoStyle.unit * 1.6

        ColumnLayout {
            spacing: DemoStyle.spacing
            Layout.fillWidth: true

            Label {
                objectName: "signInTitle"
                text: page.reauthentication ? qsTr("Sign in again") : qsTr("Sign in")
                font.pixelSize: DemoStyle.displaySize
                font.weight: Font.DemiBold
            }
            Label {
                text: qsTr("to the SecureTokens demo server")
                opacity: 0.72
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
            }

            MessageBanner {
                objectName: "reauthBanner"
                visible: page.reauthentication
                dismissible: false
                tint: Material.color(Material.DeepOrange)
                title: qsTr("The server ended your session")
                text: qsTr("Your refresh token was presented twice, which is what happens when "
                           + "a copy of it has been stolen. The server revoked it and every "
                           + "token issued with it. Sign in again to continue.")
                Layout.fillWidth: true
                Layout.topMargin: DemoStyle.spacing
            }

            TextField {
                id: username
                objectName: "usernameField"
                placeholderText: qsTr("Username")
                enabled: !page.working
                inputMethodHints: Qt.ImhNoAutoUppercase | Qt.ImhNoPredictiveText
                Layout.fillWidth: true
                Layout.topMargin: DemoStyle.spacing
                // Enter in the first field moves on, or submits when both are filled.
                onAccepted: page.canSubmit ? page.submit() : password.forceActiveFocus()
            }
            TextField {
                id: password
                objectName: "passwordField"
                placeholderText: qsTr("Password")
                echoMode: TextInput.Password
                enabled: !page.working
                inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText
                Layout.fillWidth: true
                onAccepted: page.submit()
            }

            Label {
                objectName: "signInError"
                visible: page.controller.hasError && !page.working
                text: page.controller.lastErrorMessage
                color: Material.color(Material.Red, page.Material.theme === Material.Dark
                                                    ? Material.Shade300 : Material.Shade700)
                wrapMode: Text.WordWrap
                Layout.fillWidth: true
            }

            DemoButton {
                objectName: "signInButton"
                text: !page.working ? qsTr("Sign in")
                      : page.controller.state === SessionController.Restoring
                        ? qsTr("Restoring your session…")
                        : page.waitingForBrowser ? qsTr("Waiting for your browser…")
                                                 : qsTr("Signing in…")
                highlighted: true
                enabled: page.canSubmit
                Layout.fillWidth: true
                Layout.topMargin: DemoStyle.spacing
                onClicked: page.submit()
                Keys.onReturnPressed: page.submit()
                Keys.onEnterPressed: page.submit()
            }

            RowLayout {
                spacing: DemoStyle.spacing
                Layout.fillWidth: true
                Rectangle { height: 1; color: Material.dividerColor; Layout.fillWidth: true }
                Label { text: qsTr("or"); opacity: 0.6; font.pixelSize: DemoStyle.captionSize }
                Rectangle { height: 1; color: Material.dividerColor; Layout.fillWidth: true }
            }

            // A disabled button gets no hover events: the tooltip hangs on its wrapper.
            Item {
                implicitHeight: browserButton.implicitHeight
                Layout.fillWidth: true
                DemoButton {
                    id: browserButton
                    objectName: "browserSignInButton"
                    anchors.fill: parent
                    text: qsTr("Sign in with browser")
                    enabled: page.controller.browserSignInAvailable && !page.working
                    onClicked: {
                        page.waitingForBrowser = true
                        page.controller.signInWithBrowser()
                    }
                }
                HoverHandler { id: browserHover }
                ToolTip.visible: browserHover.hovered
                ToolTip.delay: 400
                ToolTip.text: page.controller.browserSignInAvailable
                              ? qsTr("Opens your browser; you sign in there and come back here.")
                              : qsTr("Coming soon")
            }

            DemoButton {
                objectName: "cancelSignInButton"
                visible: page.waitingForBrowser
                text: qsTr("Cancel")
                flat: true
                Layout.fillWidth: true
                onClicked: page.controller.cancelSignIn()
            }

            Label {
                text: qsTr("Server %1 · the refresh token will be kept in %2")
                        .arg(page.serverUrl.toString())
                        .arg(page.controller.storageBackend === "memory"
                             ? qsTr("memory, for this run only")
                             : qsTr("%1 (secure storage)").arg(page.controller.storageBackend))
                opacity: 0.55
                font.pixelSize: DemoStyle.captionSize
                wrapMode: Text.WordWrap
                horizontalAlignment: Text.AlignHCenter
                Layout.fillWidth: true
                Layout.topMargin: DemoStyle.spacing
            }
        }
    }
}
