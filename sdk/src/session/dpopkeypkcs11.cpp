// SPDX-License-Identifier: MIT
#include "dpopkeypkcs11_p.h"

// Hand-written glue only: p11-kit loads and initializes the module (managed,
// so several keys in one process each get their own initialization), parses
// and writes the RFC 7512 URI; what is left here is the handful of PKCS#11
// calls (find the token, log in, generate, find, sign) and the DER of the
// EC point, which no library on the dependency list does for a raw
// CK_FUNCTION_LIST.

#include <QCryptographicHash>
#include <QJsonObject>

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include <openssl/rand.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

namespace SecureTokens::Internal {

struct Pkcs11Module
{
    CK_FUNCTION_LIST *f = nullptr;
    bool initialized = false;
    CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE privateKey = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE publicKey = CK_INVALID_HANDLE;
    QString modulePath;
    CK_TOKEN_INFO token {};
    QByteArray id; // CKA_ID of both halves of the pair

    Pkcs11Module() = default;
    Pkcs11Module(const Pkcs11Module &) = delete;
    Pkcs11Module &operator=(const Pkcs11Module &) = delete;
    Pkcs11Module(Pkcs11Module &&) = delete;
    Pkcs11Module &operator=(Pkcs11Module &&) = delete;
    ~Pkcs11Module()
    {
        // Closing the last session logs the user out (PKCS#11 v2.40 §5.6,
        // C_CloseSession); no C_Logout, which would also log out other keys
        // of this process on the same token.
        if (session != CK_INVALID_HANDLE)
            f->C_CloseSession(session);
        if (initialized)
            p11_kit_module_finalize(f);
        if (f)
            p11_kit_module_release(f);
    }
};

namespace {

// DER of the P-256 OID 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1.1): CKA_EC_PARAMS.
constexpr std::array<unsigned char, 10> p256Params {0x06, 0x08, 0x2A, 0x86, 0x48,
                                                    0xCE, 0x3D, 0x03, 0x01, 0x07};
constexpr qsizetype coordinateBytes = 32;
constexpr qsizetype pointBytes = 1 + 2 * coordinateBytes; // 0x04 || x || y (SEC 1 §2.3.3)
constexpr qsizetype keyIdBytes = 16;
constexpr std::array<char, 18> keyLabel {"securetokens-dpop"};

QString rvText(CK_RV rv)
{
    return QStringLiteral("%1, 0x%2")
            .arg(QString::fromUtf8(p11_kit_strerror(rv)))
            .arg(qulonglong(rv), 0, 16);
}

ErrorInfo fail(Error code, const QString &what)
{
    return ErrorInfo::make(code, QStringLiteral("PKCS#11 DPoP key: %1").arg(what));
}

// CK_TOKEN_INFO's label is 32 bytes padded with blanks, not terminated (§3.2).
QString tokenLabel(const CK_TOKEN_INFO &info)
{
    return QString::fromUtf8(reinterpret_cast<const char *>(info.label), sizeof info.label)
            .trimmed();
}

// Loads the module and logs in to the first token \a matches accepts.
std::unique_ptr<Pkcs11Module> connect(const QString &modulePath,
                                      const std::function<bool(const CK_TOKEN_INFO &)> &matches,
                                      const QString &tokenName, const SecretBytes &pin,
                                      ErrorInfo *error)
{
    auto m = std::make_unique<Pkcs11Module>();
    m->modulePath = modulePath;
    m->f = p11_kit_module_load(modulePath.toLocal8Bit().constData(), 0);
    if (!m->f) {
        *error = fail(Error::DPoPKeyMissing,
                      QStringLiteral("the module %1 cannot be loaded").arg(modulePath));
        return nullptr;
    }
    CK_RV rv = p11_kit_module_initialize(m->f);
    if (rv != CKR_OK) {
        *error = fail(Error::DPoPKeyMissing,
                      QStringLiteral("the module %1 does not initialize (%2)")
                              .arg(modulePath, rvText(rv)));
        return nullptr;
    }
    m->initialized = true;

    CK_ULONG count = 0;
    rv = m->f->C_GetSlotList(CK_TRUE, nullptr, &count);
    std::vector<CK_SLOT_ID> slots(count);
    if (rv == CKR_OK && count > 0)
        rv = m->f->C_GetSlotList(CK_TRUE, slots.data(), &count);
    slots.resize(rv == CKR_OK ? count : 0);
    CK_SLOT_ID slot = 0;
    bool found = false;
    for (const CK_SLOT_ID candidate : slots) {
        CK_TOKEN_INFO info {};
        if (m->f->C_GetTokenInfo(candidate, &info) == CKR_OK && matches(info)) {
            slot = candidate;
            m->token = info;
            found = true;
            break;
        }
    }
    if (!found) {
        *error = fail(Error::DPoPKeyMissing,
                      QStringLiteral("no token %1 in %2 (removed?)").arg(tokenName, modulePath));
        return nullptr;
    }
    rv = m->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                             &m->session);
    if (rv != CKR_OK) {
        *error = fail(Error::StorageFailed,
                      QStringLiteral("no session on token %1 (%2)").arg(tokenName, rvText(rv)));
        return nullptr;
    }
    // The PIN goes from its SecretBytes straight to the module; PKCS#11 only
    // reads it, the pointer is non-const in the C API (a copy would be one
    // more place the PIN has to be wiped from).
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast)
    auto *pinBytes = reinterpret_cast<CK_UTF8CHAR *>(const_cast<char *>(pin.view().data()));
    rv = m->f->C_Login(m->session, CKU_USER, pinBytes, CK_ULONG(pin.size()));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        *error = fail(Error::StorageAccessDenied,
                      QStringLiteral("token %1 refused the PIN (%2)").arg(tokenName, rvText(rv)));
        return nullptr;
    }
    return m;
}

QByteArray attribute(const Pkcs11Module &m, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type)
{
    CK_ATTRIBUTE query {type, nullptr, 0};
    if (m.f->C_GetAttributeValue(m.session, object, &query, 1) != CKR_OK
        || query.ulValueLen == CK_UNAVAILABLE_INFORMATION)
        return {};
    QByteArray value(qsizetype(query.ulValueLen), Qt::Uninitialized);
    query.pValue = value.data();
    if (m.f->C_GetAttributeValue(m.session, object, &query, 1) != CKR_OK)
        return {};
    value.resize(qsizetype(query.ulValueLen));
    return value;
}

CK_OBJECT_HANDLE findKey(const Pkcs11Module &m, CK_OBJECT_CLASS keyClass)
{
    QByteArray id = m.id;
    std::array<CK_ATTRIBUTE, 2> match {{
            {CKA_CLASS, &keyClass, sizeof keyClass},
            {CKA_ID, id.data(), CK_ULONG(id.size())},
    }};
    std::array<CK_OBJECT_HANDLE, 2> found {};
    CK_ULONG count = 0;
    if (m.f->C_FindObjectsInit(m.session, match.data(), CK_ULONG(match.size())) != CKR_OK)
        return CK_INVALID_HANDLE;
    const CK_RV rv = m.f->C_FindObjects(m.session, found.data(), CK_ULONG(found.size()), &count);
    m.f->C_FindObjectsFinal(m.session);
    return rv == CKR_OK && count == 1 ? found[0] : CK_INVALID_HANDLE;
}

// CKA_EC_POINT is the DER OCTET STRING around 0x04 || x || y (PKCS#11 v2.40
// §2.3.3, X9.62); a few old modules give the bare point, accepted as well.
QByteArray uncompressedPoint(const QByteArray &ecPoint)
{
    if (ecPoint.size() == pointBytes + 2 && ecPoint.at(0) == 0x04 && ecPoint.at(1) == pointBytes
        && ecPoint.at(2) == 0x04)
        return ecPoint.mid(2);
    if (ecPoint.size() == pointBytes && ecPoint.at(0) == 0x04)
        return ecPoint;
    return {};
}

// The JWK of an uncompressed P-256 point (RFC 7518 §6.2.1): x and y, 32 bytes each.
QJsonObject publicJwkOf(const QByteArray &point)
{
    return QJsonObject {
            {QStringLiteral("kty"), QStringLiteral("EC")},
            {QStringLiteral("crv"), QStringLiteral("P-256")},
            {QStringLiteral("x"), QString::fromLatin1(base64Url(point.mid(1, coordinateBytes)))},
            {QStringLiteral("y"),
             QString::fromLatin1(base64Url(point.mid(1 + coordinateBytes, coordinateBytes)))},
    };
}

} // namespace

Pkcs11DpopKey::Pkcs11DpopKey() = default;
Pkcs11DpopKey::~Pkcs11DpopKey() = default;

std::unique_ptr<Pkcs11DpopKey> Pkcs11DpopKey::generate(const QString &modulePath,
                                                       const QString &tokenName,
                                                       const SecretBytes &pin, ErrorInfo *error)
{
    auto module = connect(
            modulePath,
            [&tokenName](const CK_TOKEN_INFO &info) { return tokenLabel(info) == tokenName; },
            tokenName, pin, error);
    if (!module)
        return nullptr;
    module->id = QByteArray(keyIdBytes, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(module->id.data()), int(keyIdBytes)) != 1) {
        *error = fail(Error::StorageFailed, QStringLiteral("no random key id"));
        return nullptr;
    }
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    std::array<unsigned char, p256Params.size()> params = p256Params;
    std::array<char, keyLabel.size()> label = keyLabel;
    const auto idLength = CK_ULONG(module->id.size());
    const CK_ULONG labelLength = label.size() - 1;
    std::array<CK_ATTRIBUTE, 5> publicTemplate {{
            {CKA_EC_PARAMS, params.data(), CK_ULONG(params.size())},
            {CKA_TOKEN, &yes, sizeof yes},
            {CKA_VERIFY, &yes, sizeof yes},
            {CKA_ID, module->id.data(), idLength},
            {CKA_LABEL, label.data(), labelLength},
    }};
    // On the token, unreadable and never to be wrapped out (PKCS#11 v2.40
    // §4.9: CKA_SENSITIVE, CKA_EXTRACTABLE).
    std::array<CK_ATTRIBUTE, 7> privateTemplate {{
            {CKA_TOKEN, &yes, sizeof yes},
            {CKA_PRIVATE, &yes, sizeof yes},
            {CKA_SENSITIVE, &yes, sizeof yes},
            {CKA_EXTRACTABLE, &no, sizeof no},
            {CKA_SIGN, &yes, sizeof yes},
            {CKA_ID, module->id.data(), idLength},
            {CKA_LABEL, label.data(), labelLength},
    }};
    CK_MECHANISM mechanism {CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    const CK_RV rv = module->f->C_GenerateKeyPair(
            module->session, &mechanism, publicTemplate.data(), CK_ULONG(publicTemplate.size()),
            privateTemplate.data(), CK_ULONG(privateTemplate.size()), &module->publicKey,
            &module->privateKey);
    if (rv != CKR_OK) {
        *error = fail(Error::StorageFailed,
                      QStringLiteral("token %1 made no P-256 key (%2)").arg(tokenName, rvText(rv)));
        return nullptr;
    }
    auto key = std::unique_ptr<Pkcs11DpopKey>(new Pkcs11DpopKey);
    key->m_module = std::move(module);
    const QByteArray point
            = uncompressedPoint(attribute(*key->m_module, key->m_module->publicKey, CKA_EC_POINT));
    if (point.isEmpty()) {
        key->destroy();
        *error = fail(Error::StorageFailed, QStringLiteral("the new key has no P-256 point"));
        return nullptr;
    }
    key->m_jwk = publicJwkOf(point);
    return key;
}

std::unique_ptr<Pkcs11DpopKey> Pkcs11DpopKey::open(const QString &reference, const SecretBytes &pin,
                                                   ErrorInfo *error)
{
    using Uri = std::unique_ptr<P11KitUri, void (*)(P11KitUri *)>;
    Uri uri(p11_kit_uri_new(), p11_kit_uri_free);
    const char *modulePath = nullptr;
    const CK_ATTRIBUTE *id = nullptr;
    if (!uri
        || p11_kit_uri_parse(reference.toUtf8().constData(), P11_KIT_URI_FOR_ANY, uri.get())
                != P11_KIT_URI_OK
        || !(modulePath = p11_kit_uri_get_module_path(uri.get()))
        || !(id = p11_kit_uri_get_attribute(uri.get(), CKA_ID)) || id->ulValueLen == 0) {
        *error = fail(Error::StorageFailed,
                      QStringLiteral("the stored reference is not a PKCS#11 key URI "
                                     "(RFC 7512) with module-path and id"));
        return nullptr;
    }
    const QString tokenName = tokenLabel(*p11_kit_uri_get_token_info(uri.get()));
    auto module = connect(
            QString::fromLocal8Bit(modulePath),
            [&uri](const CK_TOKEN_INFO &info) {
                return p11_kit_uri_match_token_info(uri.get(), &info) == 1;
            },
            tokenName, pin, error);
    if (!module)
        return nullptr;
    module->id = QByteArray(static_cast<const char *>(id->pValue), qsizetype(id->ulValueLen));
    module->privateKey = findKey(*module, CKO_PRIVATE_KEY);
    module->publicKey = findKey(*module, CKO_PUBLIC_KEY);
    const QByteArray point = module->publicKey == CK_INVALID_HANDLE
            ? QByteArray()
            : uncompressedPoint(attribute(*module, module->publicKey, CKA_EC_POINT));
    if (module->privateKey == CK_INVALID_HANDLE || point.isEmpty()) {
        *error = fail(Error::DPoPKeyMissing,
                      QStringLiteral("the key is no longer on token %1").arg(tokenName));
        return nullptr;
    }
    auto key = std::unique_ptr<Pkcs11DpopKey>(new Pkcs11DpopKey);
    key->m_module = std::move(module);
    key->m_jwk = publicJwkOf(point);
    return key;
}

QString Pkcs11DpopKey::reference() const
{
    using Uri = std::unique_ptr<P11KitUri, void (*)(P11KitUri *)>;
    Uri uri(p11_kit_uri_new(), p11_kit_uri_free);
    if (!uri)
        return {};
    CK_TOKEN_INFO *token = p11_kit_uri_get_token_info(uri.get());
    std::memcpy(token->label, m_module->token.label, sizeof token->label);
    std::memcpy(token->serialNumber, m_module->token.serialNumber, sizeof token->serialNumber);
    QByteArray id = m_module->id;
    CK_OBJECT_CLASS keyClass = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE idAttribute {CKA_ID, id.data(), CK_ULONG(id.size())};
    CK_ATTRIBUTE classAttribute {CKA_CLASS, &keyClass, sizeof keyClass};
    p11_kit_uri_set_attribute(uri.get(), &idAttribute);
    p11_kit_uri_set_attribute(uri.get(), &classAttribute);
    p11_kit_uri_set_module_path(uri.get(), m_module->modulePath.toLocal8Bit().constData());
    char *text = nullptr;
    if (p11_kit_uri_format(uri.get(), P11_KIT_URI_FOR_ANY, &text) != P11_KIT_URI_OK)
        return {};
    QString out = QString::fromUtf8(text);
    std::free(text); // NOLINT(cppcoreguidelines-no-malloc): p11-kit allocates with malloc
    return out;
}

bool Pkcs11DpopKey::destroy()
{
    const bool privateGone
            = m_module->f->C_DestroyObject(m_module->session, m_module->privateKey) == CKR_OK;
    const bool publicGone
            = m_module->f->C_DestroyObject(m_module->session, m_module->publicKey) == CKR_OK;
    m_module->privateKey = m_module->publicKey = CK_INVALID_HANDLE;
    return privateGone && publicGone;
}

QJsonObject Pkcs11DpopKey::publicJwk() const
{
    return m_jwk;
}

QByteArray Pkcs11DpopKey::sign(QByteArrayView signingInput) const
{
    // CKM_ECDSA signs a digest the caller made (PKCS#11 v2.40 §2.3.6); the
    // signing input is public, so QCryptographicHash is fine here.
    QByteArray digest = QCryptographicHash::hash(signingInput, QCryptographicHash::Sha256);
    CK_MECHANISM mechanism {CKM_ECDSA, nullptr, 0};
    if (m_module->privateKey == CK_INVALID_HANDLE
        || m_module->f->C_SignInit(m_module->session, &mechanism, m_module->privateKey) != CKR_OK)
        return {};
    QByteArray signature(2 * coordinateBytes, Qt::Uninitialized);
    auto length = CK_ULONG(signature.size());
    if (m_module->f->C_Sign(m_module->session, reinterpret_cast<CK_BYTE *>(digest.data()),
                            CK_ULONG(digest.size()), reinterpret_cast<CK_BYTE *>(signature.data()),
                            &length)
                != CKR_OK
        || length != CK_ULONG(signature.size()))
        return {};
    return signature;
}

} // namespace SecureTokens::Internal
