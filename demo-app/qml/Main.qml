// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import SecureTokens
import SecureTokensDemo

// securetokens-demo's window. The session comes from C++ (SessionController);
// the engine's network access manager is the SDK's, so every XMLHttpRequest
// to the server is authorized without QML ever holding a token.
ApplicationWindow {
    id: window
    objectName: "mainWindow"

    required property SessionController controller
    required property url serverUrl
    //! "dashboard" or "security": the page shown while signed in.
    property string page: "dashboard"
    //! "system", "light" or "dark".
    property string theme: "system"
    readonly property bool dark: Material.theme === Material.Dark

    // Data from the protected API.
    property var profile: null
    property var lastLoaded: null
    property bool loading: false
    property bool dataReady: false
    property string loadError: ""
    // Absorbed 401s, from the mock server's "unauthorized" counter.
    property var lastUnauthorized: null
    property int unauthorizedSeen: -1
    readonly property bool absorbed401: lastUnauthorized !== null
    readonly property bool adminAvailable: admin.available
    // Lifetime of the current access token, for the countdown's progress bar.
    property real accessTokenLifetimeMs: 0
    property bool acting: false
    // Refreshes since this sign-in: a replay needs a consumed (rotated) refresh token.
    property int refreshesThisSignIn: 0
    property var afterNextRefresh: null

    width: DemoStyle.unit * 62
    height: DemoStyle.unit * 47
    minimumWidth: DemoStyle.unit * 34
    minimumHeight: DemoStyle.unit * 30
    visible: true
    title: qsTr("SecureTokens Demo")

    Material.theme: theme === "dark" ? Material.Dark
                                     : theme === "light" ? Material.Light : Material.System
    Material.primary: Material.Indigo
    Material.accent: dark ? Material.LightBlue : Material.Indigo
    Material.background: DemoStyle.windowColor(dark)

    function log(message) {
        activityModel.insert(0, { time: Qt.formatTime(new Date(), "hh:mm:ss"), message: message })
        if (activityModel.count > 50)
            activityModel.remove(50, activityModel.count - 50)
    }

    function describeHttp(status) {
        if (status === 0)
            return qsTr("The server cannot be reached.")
        if (status === 401)
            return qsTr("The server did not accept your sign-in.")
        if (status === 403)
            return qsTr("Your account may not see this.")
        if (status >= 500)
            return qsTr("The server had a problem (HTTP %1).").arg(status)
        return qsTr("The server answered HTTP %1.").arg(status)
    }

    // Notes a 401 the SDK absorbed while fetching \a path: the server's counter moved.
    function checkUnauthorized(path, next) {
        if (!admin.available) {
            next()
            return
        }
        admin.refreshStats(function(ok) {
            if (ok) {
                const seen = admin.stats.unauthorized
                if (window.unauthorizedSeen >= 0 && seen > window.unauthorizedSeen) {
                    window.lastUnauthorized = { time: new Date(), path: path }
                    window.log(qsTr("401 on %1 absorbed: refreshed and retried").arg(path))
                }
                window.unauthorizedSeen = seen
            }
            next()
        })
    }

    // Plain XMLHttpRequest: the SDK's network access manager adds the token.
    function apiGet(path, onSuccess, onFailure) {
        const xhr = new XMLHttpRequest()
        xhr.onreadystatechange = function() {
            if (xhr.readyState !== XMLHttpRequest.DONE)
                return
            const status = xhr.status
            const body = xhr.responseText
            window.checkUnauthorized(path, function() {
                if (status !== 200) {
                    onFailure(window.describeHttp(status))
                    return
                }
                let data
                try {
                    data = JSON.parse(body)
                } catch (e) {
                    onFailure(qsTr("The server sent data that could not be read."))
                    return
                }
                onSuccess(data)
            })
        }
        xhr.open("GET", window.serverUrl.toString() + path)
        xhr.send()
    }

    function loadData() {
        if (!controller.signedIn || loading)
            return
        loading = true
        dataReady = false
        loadError = ""
        const failed = function(message) {
            window.loading = false
            window.loadError = message
        }
        apiGet("/api/me", function(me) {
            window.profile = me
            apiGet("/api/items", function(items) {
                itemsModel.clear()
                for (let i = 0; i < items.length; ++i)
                    itemsModel.append({ itemId: items[i].id, title: items[i].title,
                                        owner: items[i].owner })
                window.lastLoaded = new Date()
                window.loading = false
                window.dataReady = true
            }, failed)
        }, failed)
    }

    function clearData() {
        profile = null
        lastLoaded = null
        loading = false
        dataReady = false
        loadError = ""
        lastUnauthorized = null
        unauthorizedSeen = -1
        accessTokenLifetimeMs = 0
        acting = false
        afterNextRefresh = null
        itemsModel.clear()
    }

    function afterFault(ok, then) {
        window.acting = false
        if (!ok) {
            window.log(qsTr("The mock server refused the request (is --admin on?)"))
            return
        }
        then()
    }

    function expireAccessTokenNow() {
        acting = true
        log(qsTr("Server: every access token is now expired"))
        admin.setFaults({ expire_access_tokens: true }, function(ok) {
            window.afterFault(ok, function() { window.loadData() })
        })
    }

    function replayStolenRefreshToken() {
        acting = true
        const replay = function() {
            window.log(qsTr("Attacker replays an old refresh token"))
            admin.setFaults({ replay_refresh_token: true }, function(ok) {
                // The server revoked the session; the next refresh finds out.
                window.afterFault(ok, function() { window.controller.refresh() })
            })
        }
        if (refreshesThisSignIn > 0) {
            replay()
            return
        }
        // Only a rotated (consumed) refresh token can be replayed: rotate once first.
        afterNextRefresh = replay
        controller.refresh()
    }

    function toggleOffline() {
        acting = true
        if (controller.offline) {
            admin.clearFaults(function(ok) {
                window.afterFault(ok, function() {
                    window.log(qsTr("Server reachable again"))
                    window.controller.refresh()
                })
            })
            return
        }
        log(qsTr("Server: the token endpoint answers 503"))
        const outage = []
        for (let i = 0; i < 3; ++i)
            outage.push({ status: 503, retry_after: 2 })
        admin.setFaults({ refresh_errors: outage }, function(ok) {
            window.afterFault(ok, function() { window.controller.refresh() })
        })
    }

    function signOut() {
        controller.signOut()
    }

    Component.onCompleted: {
        if (controller.signedIn)
            startSignedIn()
    }

    function startSignedIn() {
        refreshesThisSignIn = 0
        afterNextRefresh = null
        log(controller.subject.length > 0 ? qsTr("Signed in as %1").arg(controller.subject)
                                          : qsTr("Signed in"))
        // Learn the server's 401 counter first, so later increases are ours.
        admin.refreshStats(function(ok) {
            window.unauthorizedSeen = ok ? admin.stats.unauthorized : -1
            window.loadData()
        })
    }

    Connections {
        target: window.controller
        function onSignedInChanged() {
            if (window.controller.signedIn) {
                window.startSignedIn()
            } else if (window.controller.state === SessionController.SignedOut) {
                window.clearData()
                activityModel.clear()
                window.page = "dashboard"
            } else {
                window.clearData()
            }
        }
        function onRefreshCountChanged() {
            if (!window.controller.signedIn)
                return
            ++window.refreshesThisSignIn
            window.log(qsTr("Access token renewed (refresh %1)")
                       .arg(window.controller.refreshCount))
            if (window.afterNextRefresh) {
                const next = window.afterNextRefresh
                window.afterNextRefresh = null
                next()
            }
        }
        function onAccessTokenExpiresAtChanged() {
            const expiry = window.controller.accessTokenExpiresAt
            window.accessTokenLifetimeMs = expiry && !isNaN(expiry.getTime())
                    ? Math.max(0, expiry.getTime() - Date.now()) : 0
        }
        function onOfflineChanged() {
            window.log(window.controller.offline
                       ? qsTr("Token endpoint unreachable: offline, session kept")
                       : qsTr("Back online"))
        }
        function onErrorOccurred() {
            // A failed preparatory refresh cancels the act that waited for it.
            if (window.afterNextRefresh) {
                window.afterNextRefresh = null
                window.acting = false
            }
        }
        function onStateChanged() {
            if (window.controller.state === SessionController.ReauthenticationRequired)
                window.log(qsTr("The server ended the session"))
        }
    }

    MockAdmin {
        id: admin
        serverUrl: window.serverUrl
    }
    ListModel { id: itemsModel }
    ListModel { id: activityModel }

    header: HeaderBar {
        controller: window.controller
        dark: window.dark
        onToggleTheme: window.theme = window.dark ? "light" : "dark"
        onSignOutRequested: window.signOut()
    }

    StackLayout {
        anchors.fill: parent
        currentIndex: window.controller.signedIn ? 1 : 0

        SignInPage {
            objectName: "signInPage"
            controller: window.controller
            serverUrl: window.serverUrl
        }

        ColumnLayout {
            objectName: "signedInArea"
            spacing: 0

            TabBar {
                id: tabs
                objectName: "pageTabs"
                currentIndex: window.page === "security" ? 1 : 0
                Layout.fillWidth: true
                // The tabs continue the header bar.
                Material.background: DemoStyle.barColor(window.dark)
                Material.foreground: "white"
                Material.accent: "white"
                Material.elevation: 0
                TabButton {
                    objectName: "dashboardTab"
                    text: qsTr("Dashboard")
                    onClicked: window.page = "dashboard"
                }
                TabButton {
                    objectName: "securityTab"
                    text: qsTr("Security")
                    onClicked: window.page = "security"
                }
            }

            MessageBanner {
                objectName: "errorBanner"
                visible: window.controller.hasError
                title: window.controller.lastErrorTransient
                       ? qsTr("Working offline") : qsTr("Something went wrong")
                text: window.controller.lastErrorMessage
                tint: window.controller.lastErrorTransient ? Material.color(Material.Amber)
                                                           : Material.color(Material.Red)
                onDismissed: window.controller.clearError()
                Layout.fillWidth: true
                Layout.leftMargin: DemoStyle.margin
                Layout.rightMargin: DemoStyle.margin
                Layout.topMargin: DemoStyle.spacing
            }

            StackLayout {
                currentIndex: tabs.currentIndex
                Layout.fillWidth: true
                Layout.fillHeight: true

                DashboardPage {
                    objectName: "dashboardPage"
                    profile: window.profile
                    items: itemsModel
                    loading: window.loading
                    loadError: window.loadError
                    lastLoaded: window.lastLoaded
                    onReloadRequested: window.loadData()
                }
                SecurityPanel {
                    objectName: "securityPanel"
                    controller: window.controller
                    admin: admin
                    lastUnauthorized: window.lastUnauthorized
                    accessTokenLifetimeMs: window.accessTokenLifetimeMs
                    activity: activityModel
                    actionsEnabled: window.controller.signedIn && !window.acting
                    onExpireRequested: window.expireAccessTokenNow()
                    onReplayRequested: window.replayStolenRefreshToken()
                    onOfflineToggled: window.toggleOffline()
                    onSignOutRequested: window.signOut()
                }
            }
        }
    }
}
