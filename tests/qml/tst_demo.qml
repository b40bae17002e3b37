// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import SecureTokens
import SecureTokensDemo

// Drives the demo's real Main.qml (from the SecureTokensDemo module) against an
// in-process mock server: keyboard sign-in, data through XMLHttpRequest, the
// live countdown, an absorbed 401, a replayed refresh token, going offline and
// signing out. Context properties from tst_demo_qml.cpp: serverUrl,
// sessionController, mockServer.
TestCase {
    id: testCase
    name: "DemoApp"
    when: windowShown

    readonly property int timeout: 15000
    property var app: null

    Component {
        id: mainComponent
        Main {}
    }

    function find(objectName) {
        // The header and the content both live under the window's root item.
        const item = findChild(app.contentItem.parent, objectName)
        verify(item !== null, "no item named " + objectName)
        return item
    }

    function typeText(text) {
        for (let i = 0; i < text.length; ++i)
            keyClick(text.charAt(i))
    }

    // Scrolls the security panel so that \a item is inside the window, as a user would.
    function scrollIntoView(item) {
        const scroll = findChild(app.contentItem, "securityScroll")
        if (!scroll || !scroll.visible)
            return
        const flickable = scroll.contentItem
        const top = item.mapToItem(flickable.contentItem, 0, 0).y
        if (top < flickable.contentY || top + item.height > flickable.contentY + flickable.height)
            flickable.contentY = Math.max(0, Math.min(top - flickable.height / 2,
                                                      flickable.contentHeight - flickable.height))
    }

    function click(objectName) {
        const item = find(objectName)
        // And laid out: on Qt 6.8 the security panel's buttons are still 0
        // wide right after the tab switch (its layouts run before its first
        // frame), and a click on an item without a size is lost.
        tryVerify(function() {
            return item.visible && item.enabled && item.width > 0 && item.height > 0
        }, timeout, objectName + " never became clickable")
        scrollIntoView(item)
        const center = item.mapToItem(null, item.width / 2, item.height / 2)
        verify(center.y > 0 && center.y < app.height && center.x > 0 && center.x < app.width,
               objectName + " is outside the window")
        mouseClick(item)
    }

    function signInWithButton() {
        const user = find("usernameField")
        const password = find("passwordField")
        user.text = "alice"
        password.text = "wonderland"
        click("signInButton")
        tryCompare(sessionController, "signedIn", true, timeout)
        tryVerify(function() { return app.dataReady }, timeout, "data never loaded")
    }

    function seconds(text) {
        const parts = text.split(":")
        return parseInt(parts[0]) * 60 + parseInt(parts[1])
    }

    function init() {
        // Qt Quick Layouts gives up on a layout it has to polish more than twice
        // in a row and warns; the page is then laid out from stale sizes.
        failOnWarning(/Polish loop detected/)
        mockServer.clearFaults()
        if (sessionController.state !== SessionController.SignedOut) {
            sessionController.signOut()
            tryCompare(sessionController, "state", SessionController.SignedOut, timeout)
        }
        sessionController.clearError()
        // The offscreen screen is 800x600: a window that fits it, so that clicks land.
        app = createTemporaryObject(mainComponent, testCase,
                                    { controller: sessionController, serverUrl: serverUrl,
                                      width: 800, height: 600 })
        verify(app !== null, "Main.qml did not load")
        app.requestActivate()
        tryVerify(function() { return app.active }, timeout, "the window never became active")
        compare(find("signInPage").visible, true)
    }

    function test_1_keyboardSignInLoadsData() {
        const user = find("usernameField")
        const password = find("passwordField")
        tryVerify(function() { return user.activeFocus }, timeout, "focus is not in the form")
        typeText("alice")
        keyClick(Qt.Key_Tab)
        verify(password.activeFocus, "Tab does not lead from username to password")
        typeText("wonderland")
        keyClick(Qt.Key_Return)

        tryCompare(sessionController, "signedIn", true, timeout)
        compare(password.text, "", "the password stays on screen")
        compare(find("signInPage").visible, false)
        compare(find("signedInArea").visible, true)

        const items = find("itemsList")
        tryCompare(items, "count", 3, timeout)
        compare(find("welcomeLabel").text, "Welcome, Alice")
        compare(find("emailLabel").text, "alice@example.com")
        compare(find("sessionChip").text, "Signed in as alice")
        compare(app.loadError, "")
    }

    function test_2_countdownMoves() {
        signInWithButton()
        click("securityTab")
        const panel = find("securityPanel")
        tryCompare(panel, "visible", true, timeout)

        const fingerprint = find("fingerprintRow")
        verify(/^[0-9a-f]{8}$/.test(fingerprint.value), "fingerprint: " + fingerprint.value)
        compare(fingerprint.value, sessionController.accessTokenFingerprint)

        const countdown = find("countdownRow")
        verify(/^\d+:\d\d$/.test(countdown.value), "countdown: " + countdown.value)
        const start = seconds(countdown.value)
        verify(start > 250 && start <= 300, "countdown starts at " + countdown.value)
        tryVerify(function() { return seconds(countdown.value) < start }, 5000,
                  "the countdown does not move")
        tryVerify(function() { return seconds(countdown.value) <= start - 2 }, 5000,
                  "the countdown stopped")

        compare(find("accessTokenLocation").value, "Memory only")
        compare(find("refreshTokenLocation").value, "Memory (this run only)")
        compare(find("refreshCountRow").value, "0")
    }

    function test_3_expiredAccessTokenCostsOneRefresh() {
        signInWithButton()
        click("securityTab")
        const before = sessionController.refreshCount
        const grantsBefore = mockServer.stats().refresh_grants
        const unauthorizedBefore = mockServer.stats().unauthorized
        const fingerprintBefore = sessionController.accessTokenFingerprint
        compare(find("lastUnauthorizedRow").value, "—")

        click("expireButton")
        tryCompare(sessionController, "refreshCount", before + 1, timeout)
        tryVerify(function() { return app.dataReady && !app.loading }, timeout,
                  "the reload did not finish")
        compare(app.loadError, "", "the reload showed an error")
        compare(find("itemsList").count, 3)
        compare(sessionController.refreshCount, before + 1, "more than one refresh")
        compare(mockServer.stats().refresh_grants, grantsBefore + 1)
        compare(mockServer.stats().unauthorized, unauthorizedBefore + 1)
        verify(sessionController.accessTokenFingerprint !== fingerprintBefore)

        tryVerify(function() { return app.absorbed401 }, timeout)
        compare(find("lastUnauthorizedRow").value, "GET /api/me")
        compare(find("refreshCountRow").value, String(before + 1))
    }

    function test_4_replayedRefreshTokenEndsInReauthentication() {
        signInWithButton()
        click("securityTab")
        const reuseBefore = mockServer.stats().reuse_detected

        click("replayButton")
        tryCompare(sessionController, "state", SessionController.ReauthenticationRequired,
                   timeout)
        compare(mockServer.stats().reuse_detected, reuseBefore + 1)
        tryCompare(find("signInPage"), "visible", true, timeout)
        tryCompare(find("reauthBanner"), "visible", true, timeout)
        compare(find("signInTitle").text, "Sign in again")
        compare(sessionController.accessTokenFingerprint, "")
        compare(sessionController.lastErrorCode, "InvalidGrant")
        compare(find("signInError").visible, true)
        verify(find("signInError").text.length > 0)
    }

    function test_5_signOutClearsEverything() {
        signInWithButton()
        click("securityTab")
        const revocationsBefore = mockServer.stats().revocations
        verify(sessionController.accessTokenFingerprint.length > 0)

        click("signOutButton")
        tryCompare(sessionController, "state", SessionController.SignedOut, timeout)
        compare(sessionController.accessTokenFingerprint, "")
        tryCompare(find("signInPage"), "visible", true, timeout)
        compare(find("reauthBanner").visible, false)
        compare(find("itemsList").count, 0)
        compare(app.profile, null)
        compare(app.absorbed401, false)
        compare(find("fingerprintRow").value, "—")
        compare(find("countdownRow").value, "—")
        compare(app.page, "dashboard")
        tryVerify(function() { return mockServer.stats().revocations === revocationsBefore + 1 },
                  timeout, "the refresh token was not revoked at the server")
    }

    function test_6_goingOfflineKeepsTheSession() {
        signInWithButton()
        click("securityTab")
        compare(find("offlineIndicator").visible, false)

        click("offlineButton")
        tryCompare(sessionController, "offline", true, timeout)
        verify(sessionController.signedIn, "a transient failure ended the session")
        tryCompare(find("offlineIndicator"), "visible", true, timeout)
        compare(find("offlineButton").text, "Back online")
        compare(find("errorBanner").visible, true)

        click("offlineButton")
        tryCompare(sessionController, "offline", false, 30000)
        verify(sessionController.signedIn)
        compare(find("offlineIndicator").visible, false)
    }

    function test_7_wrongPasswordIsExplainedInWords() {
        find("usernameField").text = "alice"
        find("passwordField").text = "not-the-password"
        click("signInButton")
        const error = find("signInError")
        tryCompare(error, "visible", true, timeout)
        compare(sessionController.lastErrorCode, "InvalidGrant")
        compare(error.text, sessionController.lastErrorMessage)
        verify(error.text.indexOf("sign") >= 0, error.text)
        compare(sessionController.signedIn, false)
        compare(find("signInPage").visible, true)
    }

    function test_8_browserSignIn() {
        verify(sessionController.browserSignInAvailable)
        const codeGrantsBefore = mockServer.stats().authorization_code_grants
        click("browserSignInButton")
        tryCompare(sessionController, "signedIn", true, timeout)
        compare(mockServer.stats().authorization_code_grants, codeGrantsBefore + 1)
        tryCompare(find("itemsList"), "count", 3, timeout)
        compare(find("sessionChip").text, "Signed in as alice")
    }
}
