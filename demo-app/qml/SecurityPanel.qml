// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import SecureTokens
import SecureTokensDemo

// Makes the invisible visible: where each token lives, the access token's
// fingerprint and remaining life, refreshes, absorbed 401s, and buttons that
// act out expiry, theft and a server outage against the mock server.
Item {
    id: panel

    required property SessionController controller
    required property MockAdmin admin
    required property var lastUnauthorized
    required property real accessTokenLifetimeMs
    required property ListModel activity
    required property bool actionsEnabled
    signal expireRequested
    signal replayRequested
    signal offlineToggled
    signal signOutRequested

    property real now: Date.now()
    readonly property real remainingMs: {
        const expiry = controller.accessTokenExpiresAt
        if (!controller.signedIn || !expiry || isNaN(expiry.getTime()))
            return -1
        return Math.max(0, expiry.getTime() - now)
    }

    function formatDuration(ms) {
        if (ms < 0)
            return "—"
        const total = Math.floor(ms / 1000)
        const minutes = Math.floor(total / 60)
        const seconds = total % 60
        return minutes + ":" + (seconds < 10 ? "0" : "") + seconds
    }

    function storageDescription(backend) {
        if (backend === "memory")
            return qsTr("Memory (this run only)")
        if (backend.length === 0)
            return qsTr("Unknown")
        return qsTr("%1 (secure storage)").arg(backend)
    }

    readonly property color good: Material.color(Material.Green, Material.theme === Material.Dark
                                                 ? Material.Shade300 : Material.Shade700)
    readonly property color warn: Material.color(Material.Orange, Material.theme === Material.Dark
                                                 ? Material.Shade300 : Material.Shade800)

    Timer {
        interval: 250
        repeat: true
        running: panel.visible && panel.controller.signedIn
        triggeredOnStart: true
        onTriggered: panel.now = Date.now()
    }

    ScrollView {
        id: scroll
        objectName: "securityScroll"
        anchors.fill: parent
        contentWidth: availableWidth
        clip: true

        GridLayout {
            id: grid
            width: scroll.availableWidth - DemoStyle.margin * 2
            x: DemoStyle.margin
            y: DemoStyle.margin
            columns: width > DemoStyle.unit * 40 ? 2 : 1
            // Two columns of cards side by side on a wide window, one above the other otherwise.
            columnSpacing: DemoStyle.margin
            rowSpacing: DemoStyle.margin

            ColumnLayout {
                spacing: DemoStyle.margin
                Layout.fillWidth: true
                Layout.preferredWidth: 1
                Layout.alignment: Qt.AlignTop

                Card {
                    title: qsTr("Where your tokens live")
                    Layout.fillWidth: true
                    InfoRow {
                        objectName: "accessTokenLocation"
                        label: qsTr("Access token")
                        value: qsTr("Memory only")
                        valueColor: panel.good
                        detail: qsTr("Wiped when replaced and on sign-out. Never on disk, in logs or "
                                     + "in this UI.")
                    }
                    InfoRow {
                        objectName: "refreshTokenLocation"
                        label: qsTr("Refresh token")
                        value: panel.storageDescription(panel.controller.storageBackend)
                        valueColor: panel.controller.storageBackend === "memory" ? panel.warn
                                                                                 : panel.good
                        detail: qsTr("Rotated on every use; the new one is stored before it is used.")
                    }
                }

                Card {
                    title: qsTr("Access token")
                    Layout.fillWidth: true
                    InfoRow {
                        objectName: "fingerprintRow"
                        label: qsTr("Fingerprint")
                        value: panel.controller.accessTokenFingerprint.length > 0
                               ? panel.controller.accessTokenFingerprint : "—"
                        monospace: true
                        detail: qsTr("First 8 hex digits of its SHA-256: safe to show, useless to "
                                     + "steal.")
                    }
                    InfoRow {
                        objectName: "countdownRow"
                        label: qsTr("Expires in")
                        value: panel.formatDuration(panel.remainingMs)
                        monospace: true
                        valueColor: panel.remainingMs >= 0 && panel.remainingMs < 10000 ? panel.warn
                                                                                        : Material.foreground
                    }
                    ProgressBar {
                        from: 0
                        to: 1
                        value: panel.accessTokenLifetimeMs > 0 && panel.remainingMs > 0
                               ? Math.min(1, panel.remainingMs / panel.accessTokenLifetimeMs) : 0
                        Layout.fillWidth: true
                    }
                    InfoRow {
                        objectName: "refreshCountRow"
                        label: qsTr("Refreshes")
                        value: panel.controller.refreshCount
                        detail: panel.controller.refreshing
                                ? qsTr("Renewing now…")
                                : qsTr("Renewed shortly before expiry, or after a 401.")
                    }
                }

                Card {
                    title: qsTr("Last 401 absorbed")
                    subtitle: qsTr("The SDK refreshes and retries a rejected request once; the "
                                   + "page only sees the retry.")
                    Layout.fillWidth: true
                    InfoRow {
                        objectName: "lastUnauthorizedRow"
                        label: panel.lastUnauthorized
                               ? Qt.formatTime(panel.lastUnauthorized.time, "hh:mm:ss") : qsTr("None yet")
                        value: panel.lastUnauthorized ? "GET " + panel.lastUnauthorized.path : "—"
                        monospace: true
                        detail: panel.lastUnauthorized
                                ? qsTr("The server said 401; one refresh, one retry, no error shown.")
                                : qsTr("Every request so far was accepted the first time.")
                    }
                    Label {
                        objectName: "serverCounters"
                        visible: panel.admin.available
                        text: qsTr("The server counted %1 refresh grants, %2 rejected requests and "
                                   + "%3 reuse detections.")
                                .arg(panel.admin.stats.refresh_grants || 0)
                                .arg(panel.admin.stats.unauthorized || 0)
                                .arg(panel.admin.stats.reuse_detected || 0)
                        opacity: 0.6
                        font.pixelSize: DemoStyle.captionSize
                        wrapMode: Text.WordWrap
                        Layout.fillWidth: true
                    }
                }
            }

            ColumnLayout {
                spacing: DemoStyle.margin
                Layout.fillWidth: true
                Layout.preferredWidth: 1
                Layout.alignment: Qt.AlignTop

                Card {
                    title: qsTr("Try it")
                    subtitle: panel.admin.available
                              ? qsTr("Each button makes the mock server misbehave. Watch the "
                                     + "other cards.")
                              : qsTr("These need the mock server's admin API "
                                     + "(start it with --admin).")
                    Layout.fillWidth: true

                    ActionRow {
                        objectName: "expireAction"
                        button.objectName: "expireButton"
                        text: qsTr("Expire access token now")
                        explanation: qsTr("The server treats every access token as expired, then "
                                          + "the data is reloaded: one 401, one refresh, no error.")
                        button.enabled: panel.actionsEnabled && panel.admin.available
                        onTriggered: panel.expireRequested()
                    }
                    ActionRow {
                        button.objectName: "replayButton"
                        text: qsTr("Replay a stolen refresh token")
                        explanation: qsTr("An attacker presents an old refresh token. The server "
                                          + "detects the reuse and revokes the session: you are "
                                          + "asked to sign in again.")
                        button.enabled: panel.actionsEnabled && panel.admin.available
                        onTriggered: panel.replayRequested()
                    }
                    ActionRow {
                        button.objectName: "offlineButton"
                        text: panel.controller.offline ? qsTr("Back online") : qsTr("Go offline")
                        explanation: panel.controller.offline
                                     ? qsTr("Offline: the session is kept and retried with backoff.")
                                     : qsTr("The token endpoint answers 503 a few times: a transient "
                                            + "failure keeps the session and shows it offline.")
                        button.enabled: panel.actionsEnabled && panel.admin.available
                        onTriggered: panel.offlineToggled()
                    }
                    ActionRow {
                        button.objectName: "signOutButton"
                        text: qsTr("Sign out")
                        explanation: qsTr("Revokes the refresh token at the server (RFC 7009) and "
                                          + "wipes both tokens here, also when offline.")
                        button.enabled: panel.controller.signedIn
                        onTriggered: panel.signOutRequested()
                    }
                }

                Card {
                    title: qsTr("Activity")
                    Layout.fillWidth: true
                    Repeater {
                        model: panel.activity
                        delegate: RowLayout {
                            required property string time
                            required property string message
                            required property int index
                            visible: index < 6
                            spacing: DemoStyle.spacing
                            Layout.fillWidth: true
                            Label {
                                text: time
                                font.family: DemoStyle.monoFamily
                                font.pixelSize: DemoStyle.captionSize
                                opacity: 0.55
                            }
                            Label {
                                text: message
                                elide: Text.ElideRight
                                Layout.fillWidth: true
                            }
                        }
                    }
                    Label {
                        visible: panel.activity.count === 0
                        text: qsTr("Nothing yet.")
                        opacity: 0.55
                    }
                }
            }

            Item { Layout.preferredHeight: DemoStyle.spacing; Layout.columnSpan: grid.columns }
        }
    }
}
