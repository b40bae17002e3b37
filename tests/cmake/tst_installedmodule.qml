// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import SecureTokens

// Run by qml-example.cmake with qmltestrunner, which links nothing of
// SecureTokens: `import SecureTokens` can only come from the installed module
// directory (qmldir, plugin, libsecuretokensqml), found through -import.
TestCase {
    name: "InstalledModule"

    SessionController {
        id: controller
        clientId: "demo"
        tokenEndpoint: "http://127.0.0.1:9/token" // never contacted here
        storagePolicy: SessionController.SessionOnly
    }

    function test_madeInQml() {
        compare(controller.clientId, "demo")
        compare(controller.storageBackend, "memory")
        compare(controller.state, SessionController.SignedOut)
        compare(controller.signedIn, false)
    }
}
