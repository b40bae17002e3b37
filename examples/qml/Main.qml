// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import SecureTokens

ApplicationWindow {
    id: window
    required property url server
    property bool autoRun: false // --auto: sign in, load the profile, sign out, exit
    width: 420; height: 300; visible: true
    title: "SecureTokens QML example"

    SessionController {
        id: session
        issuer: window.server // endpoints come from the issuer's discovery document
        clientId: "demo"
        scopes: ["openid", "profile", "offline_access"]
        // storagePolicy: SessionController.Required (the default) keeps the
        // refresh token in the keychain; this example signs in anew each start.
        storagePolicy: SessionController.SessionOnly
        onErrorOccurred: (code, message, isTransient) => {
            status.text = message
            console.log("error:", code, isTransient ? "(transient)" : "")
            if (window.autoRun)
                Qt.exit(1)
        }
        onSignedInChanged: {
            console.log(signedIn ? "signed in as " + subject : "signed out")
            if (signedIn && window.autoRun)
                loadProfile()
        }
        onSignedOut: if (window.autoRun) Qt.exit(0)
    }

    // XMLHttpRequest to the issuer's origin carries the access token; a 401
    // is absorbed by one refresh and a retry. QML never sees the token.
    function loadProfile() {
        const xhr = new XMLHttpRequest()
        xhr.onreadystatechange = () => {
            if (xhr.readyState !== XMLHttpRequest.DONE)
                return
            const ok = xhr.status === 200
            status.text = ok ? "Hello, " + JSON.parse(xhr.responseText).name : "HTTP " + xhr.status
            console.log("GET /api/me:", xhr.status, ok ? xhr.responseText : "")
            if (window.autoRun)
                ok ? session.signOut() : Qt.exit(1)
        }
        xhr.open("GET", window.server + "/api/me")
        xhr.send()
    }

    ColumnLayout {
        anchors.fill: parent; anchors.margins: 16
        TextField { id: user; text: "alice"; enabled: !session.signedIn; Layout.fillWidth: true }
        TextField {
            id: password; text: "wonderland" // the mock server's demo user
            echoMode: TextInput.Password; enabled: !session.signedIn; Layout.fillWidth: true
        }
        RowLayout {
            Button { text: "Sign in"; enabled: !session.signedIn && !session.busy; onClicked: session.signIn(user.text, password.text) }
            Button { text: "Profile"; enabled: session.signedIn; onClicked: window.loadProfile() }
            Button { text: "Sign out"; enabled: session.signedIn; onClicked: session.signOut() }
        }
        Label { id: status; text: session.stateName; wrapMode: Text.Wrap; Layout.fillWidth: true }
    }

    Component.onCompleted: autoRun ? session.signIn(user.text, password.text) : session.restore()
}
