// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import SecureTokens

// A SessionController made and configured in QML alone (no C++ session, no
// C++ network factory) against an in-process mock server: password and device
// sign-in, authenticated XMLHttpRequest, an errorOccurred handler that reads
// its parameters by name, sign-out. Context properties from
// tst_qmlcontroller.cpp: serverUrl, deviceUser (the person approving a device
// code on another device, with a plain QNetworkAccessManager).
TestCase {
    id: testCase
    name: "QmlOnlyController"

    readonly property int timeout: 15000
    property string lastCode: ""
    property var lastTransient: undefined
    property int errors: 0

    SessionController {
        id: controller
        issuer: serverUrl
        clientId: "demo"
        scopes: ["openid", "profile", "offline_access"]
        apiOrigins: [serverUrl]
        storagePolicy: SessionController.SessionOnly
        account: "qml-test"
        // The signal's parameters by their declared names (hence the old,
        // deprecated injected form). The last one was `transient`, a reserved
        // word in QML: a handler could not name it (with that name this
        // handler fails: ReferenceError on isTransient).
        onErrorOccurred: {
            testCase.lastCode = code
            testCase.lastTransient = isTransient
            testCase.errors += 1
        }
    }

    SignalSpy {
        id: deviceCodeSpy
        target: controller
        signalName: "deviceCodeReady"
    }

    SignalSpy {
        id: userInfoSpy
        target: controller
        signalName: "userInfoReceived"
    }

    SignalSpy {
        id: signedOutSpy
        target: controller
        signalName: "signedOut"
    }

    // One XMLHttpRequest through the engine's network access manager; calls
    // done(status, text) when it finishes.
    function send(method, url, body, contentType) {
        const result = { done: false, status: 0, text: "" }
        const xhr = new XMLHttpRequest()
        xhr.onreadystatechange = function() {
            if (xhr.readyState === XMLHttpRequest.DONE) {
                result.status = xhr.status
                result.text = xhr.responseText
                result.done = true
            }
        }
        xhr.open(method, url)
        if (contentType)
            xhr.setRequestHeader("Content-Type", contentType)
        xhr.send(body === undefined ? null : body)
        tryVerify(function() { return result.done }, timeout, method + " " + url + " never finished")
        return result
    }

    function signOutAndWait() {
        signedOutSpy.clear()
        controller.signOut()
        signedOutSpy.wait(timeout)
        compare(controller.signedIn, false)
    }

    function cleanup() {
        if (controller.signedIn)
            signOutAndWait()
        controller.clearError()
        lastCode = ""
        lastTransient = undefined
        errors = 0
    }

    function test_1_configuredInQml() {
        compare(controller.clientId, "demo")
        compare(controller.issuer.toString(), serverUrl.toString())
        compare(controller.scopes.join(" "), "openid profile offline_access")
        compare(controller.apiOrigins.length, 1)
        compare(controller.apiOrigins[0].toString(), serverUrl.toString())
        compare(controller.storagePolicy, SessionController.SessionOnly)
        compare(controller.account, "qml-test")
        // The session exists: its store is the one the policy asked for.
        compare(controller.storageBackend, "memory")
        compare(controller.state, SessionController.SignedOut)
        verify(controller.browserSignInAvailable)
        // Fixed once the session exists: a later write is refused, loudly.
        ignoreWarning(/the configuration is fixed once the session exists/)
        controller.clientId = "someone-else"
        compare(controller.clientId, "demo")
    }

    function test_2_passwordSignInAndAuthenticatedXhr() {
        // To an allow-listed origin without a token the request is not sent (NotSignedIn).
        compare(send("GET", serverUrl + "/api/me").status, 0)
        controller.signIn("alice", "wonderland")
        tryCompare(controller, "signedIn", true, timeout)
        compare(controller.subject, "alice")
        const me = send("GET", serverUrl + "/api/me")
        compare(me.status, 200, me.text)
        compare(JSON.parse(me.text).sub, "alice")
        signOutAndWait()
        compare(send("GET", serverUrl + "/api/me").status, 0)
    }

    function test_2b_claimsAndGrantedScopes() {
        userInfoSpy.clear()
        controller.signIn("alice", "wonderland")
        tryCompare(controller, "signedIn", true, timeout)
        // The verified identity and the granted scope (RFC 6749 §5.1), as plain data.
        compare(controller.claims.sub, "alice")
        compare(controller.claims.name, "Alice")
        verify(controller.grantedScopes.indexOf("openid") >= 0)
        // The userinfo answer a sign-in asks for by itself, then one on demand.
        tryCompare(userInfoSpy, "count", 1, timeout)
        compare(userInfoSpy.signalArguments[0][0].sub, "alice")
        compare(controller.claims.preferred_username, "alice")
        controller.fetchUserInfo()
        tryCompare(userInfoSpy, "count", 2, timeout)
        signOutAndWait()
        compare(Object.keys(controller.claims).length, 0)
        compare(controller.grantedScopes.length, 0)
    }

    function test_3_errorHandlerReadsItsParameters() {
        controller.signIn("alice", "not-her-password")
        tryCompare(testCase, "errors", 1, timeout)
        compare(lastCode, "InvalidGrant")
        compare(lastTransient, false)
        compare(controller.lastErrorCode, "InvalidGrant")
        compare(controller.signedIn, false)
    }

    function test_4_deviceSignIn() {
        deviceCodeSpy.clear()
        controller.signInWithDeviceCode()
        deviceCodeSpy.wait(timeout)
        const code = controller.deviceUserCode
        compare(code.length, 9) // XXXX-XXXX
        compare(deviceCodeSpy.signalArguments[0][0], code)
        compare(controller.deviceVerificationUri.toString(), serverUrl.toString() + "/device")
        verify(controller.deviceVerificationUriComplete.toString().indexOf(code) > 0)
        verify(controller.deviceCodeExpiresAt > new Date())
        compare(controller.state, SessionController.SigningIn)

        // The user, on another device, enters the code and approves.
        compare(deviceUser.approve(controller.deviceVerificationUri, code), 200)
        tryCompare(controller, "signedIn", true, timeout)
        compare(controller.subject, "alice")
        // Shown while the sign-in waited, gone once it ended.
        compare(controller.deviceUserCode, "")
        compare(send("GET", serverUrl + "/api/me").status, 200)
    }
}
