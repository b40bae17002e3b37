// SPDX-License-Identifier: MIT
// See freewatch.h. Hand-written (small): heaptrack and valgrind cannot say
// what a block held when it was freed, and the scan needs exactly that.
#include "freewatch.h"

#include <QFileInfo>

#include <atomic>
#include <cstring>
#include <vector>

#include <dlfcn.h>
#include <execinfo.h>
#include <malloc.h>
#include <sys/mman.h>

extern "C" {
void *__libc_malloc(std::size_t size);
void *__libc_calloc(std::size_t count, std::size_t size);
void __libc_free(void *ptr);
void *__libc_realloc(void *ptr, std::size_t size);
}

namespace FreeWatch::detail {

constexpr int kFrames = 32;
constexpr std::size_t kArenaBytes = 192u * 1024 * 1024;
constexpr std::size_t kMaxEvents = 65536;
constexpr std::size_t kMaxKeptBytes = 256 * 1024; // per block; tokens sit in small ones
constexpr std::size_t kMinRun = 32; // token characters in a row that make a block a candidate
constexpr unsigned char kMask = 0xa5;

constexpr int kSiteFrames = 16;
constexpr int kSiteBits = 18;
constexpr std::size_t kSiteSlots = std::size_t(1) << kSiteBits;
constexpr std::size_t kSiteLocks = 256;

struct Event
{
    quintptr address;
    std::size_t size;
    std::size_t offset; // into the arena's data
    std::size_t kept;
    int frames;
    void *stack[kFrames];
    int allocFrames; // 0: the allocation was not seen (before start(), or evicted)
    void *allocStack[kSiteFrames];
};

// Where each block was allocated: a direct-mapped table by address. A later
// allocation that maps to the same slot evicts the entry (then the block
// counts by who freed it only); short-lived buffers like token copies stay.
struct Site
{
    quintptr ptr;
    int frames;
    void *stack[kSiteFrames];
};

struct State
{
    std::atomic<bool> watching {false};
    std::atomic_flag lock = ATOMIC_FLAG_INIT;
    Event *events = nullptr;
    std::size_t eventCount = 0;
    unsigned char *data = nullptr;
    std::size_t dataUsed = 0;
    std::size_t dataCapacity = 0;
    std::size_t overflow = 0;
    Site *sites = nullptr;
    std::atomic_flag siteLocks[kSiteLocks] = {};
};

State &state()
{
    static State s; // constant-initialised members only: safe under free()
    return s;
}

thread_local bool t_inHook = false;

inline bool isTokenChar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
            || c == '_';
}

// A run of kMinRun base64url characters, as bytes or as UTF-16LE code units.
bool mayHoldToken(const unsigned char *p, std::size_t n)
{
    std::size_t run8 = 0;
    std::size_t run16 = 0;
    for (std::size_t i = 0; i < n; ++i) {
        run8 = isTokenChar(p[i]) ? run8 + 1 : 0;
        if (run8 >= kMinRun)
            return true;
        if (i % 2 == 1) {
            run16 = (p[i] == 0 && isTokenChar(p[i - 1])) ? run16 + 1 : 0;
            if (run16 >= kMinRun)
                return true;
        }
    }
    return false;
}

struct SpinLock
{
    explicit SpinLock(std::atomic_flag &f) : flag(f)
    {
        while (flag.test_and_set(std::memory_order_acquire)) { }
    }
    ~SpinLock() { flag.clear(std::memory_order_release); }
    std::atomic_flag &flag;
};

std::size_t slotOf(const void *ptr)
{
    return std::size_t((quintptr(ptr) >> 4) * 0x9E3779B97F4A7C15ull >> (64 - kSiteBits));
}

void __attribute__((noinline)) noteAllocation(void *ptr)
{
    State &s = state();
    if (!ptr || !s.sites)
        return;
    void *stack[kSiteFrames];
    const int frames = backtrace(stack, kSiteFrames);
    const std::size_t slot = slotOf(ptr);
    SpinLock guard(s.siteLocks[slot % kSiteLocks]);
    Site &site = s.sites[slot];
    site.ptr = quintptr(ptr);
    site.frames = frames;
    std::memcpy(site.stack, stack, sizeof(stack));
}

// The allocation stack of \a ptr, if seen; forgets it (the block is going).
int takeAllocation(void *ptr, void **stack)
{
    State &s = state();
    if (!s.sites)
        return 0;
    const std::size_t slot = slotOf(ptr);
    SpinLock guard(s.siteLocks[slot % kSiteLocks]);
    Site &site = s.sites[slot];
    if (site.ptr != quintptr(ptr))
        return 0;
    site.ptr = 0;
    if (stack)
        std::memcpy(stack, site.stack, sizeof(site.stack));
    return site.frames;
}

void __attribute__((noinline)) record(void *ptr, std::size_t size)
{
    State &s = state();
    void *stack[kFrames];
    const int frames = backtrace(stack, kFrames);
    void *allocStack[kSiteFrames];
    const int allocFrames = takeAllocation(ptr, allocStack);
    const std::size_t kept = size < kMaxKeptBytes ? size : kMaxKeptBytes;
    SpinLock guard(s.lock);
    if (s.eventCount >= kMaxEvents || s.dataUsed + kept > s.dataCapacity) {
        ++s.overflow;
        return;
    }
    Event &e = s.events[s.eventCount++];
    e.address = quintptr(ptr);
    e.size = size;
    e.offset = s.dataUsed;
    e.kept = kept;
    e.frames = frames;
    std::memcpy(e.stack, stack, sizeof(stack));
    e.allocFrames = allocFrames;
    std::memcpy(e.allocStack, allocStack, sizeof(allocStack));
    const auto *src = static_cast<const unsigned char *>(ptr);
    unsigned char *dst = s.data + s.dataUsed;
    for (std::size_t i = 0; i < kept; ++i)
        dst[i] = src[i] ^ kMask;
    s.dataUsed += kept;
}

// Called with a block about to be freed; true when it was recorded.
void inspect(void *ptr)
{
    State &s = state();
    if (!ptr || !s.watching.load(std::memory_order_relaxed) || t_inHook)
        return;
    t_inHook = true;
    const std::size_t size = malloc_usable_size(ptr);
    if (mayHoldToken(static_cast<const unsigned char *>(ptr), size))
        record(ptr, size);
    else
        takeAllocation(ptr, nullptr);
    t_inHook = false;
}

bool isRuntime(const QString &base)
{
    return base.startsWith(QLatin1String("libc.so")) || base.startsWith(QLatin1String("libstdc++"))
            || base.startsWith(QLatin1String("libgcc_s")) || base.startsWith(QLatin1String("ld-"));
}

// Qt's generic containers: whoever destroyed the container owned the buffer.
bool isGenericQtCore(const QString &base, const char *symbol)
{
    if (!base.startsWith(QLatin1String("libQt6Core")) || !symbol)
        return false;
    for (const char *generic : {"QArrayData", "QByteArray", "QString", "QListData", "QtPrivate",
                                "QHashPrivate", "QMapData", "QVariant", "QMetaType"}) {
        if (std::strstr(symbol, generic))
            return true;
    }
    return false;
}

QString libraryName(const QString &base)
{
    const qsizetype so = base.indexOf(QLatin1String(".so"));
    return so > 0 ? base.left(so) : base;
}

struct Frame
{
    QString owner;
    QString text;
};

// The first frame of \a stack that owned the block (see freewatch.h).
Frame ownerOf(void *const *stack, int frames)
{
    static const QString self = QFileInfo(QStringLiteral("/proc/self/exe")).canonicalFilePath();
    for (int i = 0; i < frames; ++i) {
        Dl_info info {};
        // The return address minus one lies inside the calling instruction.
        if (!dladdr(static_cast<char *>(stack[i]) - 1, &info) || !info.dli_fname)
            continue;
        const QString path = QString::fromLocal8Bit(info.dli_fname);
        const QString base = QFileInfo(path).fileName();
        const char *symbol = info.dli_sname;
        const bool inTest = QFileInfo(path).canonicalFilePath() == self;
        if (isRuntime(base) || isGenericQtCore(base, symbol))
            continue;
        if (inTest && symbol
            && (std::strstr(symbol, "FreeWatch") || !std::strcmp(symbol, "free")
                || !std::strcmp(symbol, "realloc") || !std::strcmp(symbol, "malloc")
                || !std::strcmp(symbol, "calloc")))
            continue;
        Frame f;
        f.owner = base.startsWith(QLatin1String("libsecuretokens"), Qt::CaseInsensitive)
                ? QStringLiteral("SDK")
                : inTest ? QStringLiteral("test")
                         : libraryName(base);
        f.text = QStringLiteral("%1+0x%2 (%3)")
                         .arg(base)
                         .arg(quintptr(stack[i]) - quintptr(info.dli_fbase), 0, 16)
                         .arg(QString::fromLatin1(symbol ? symbol : "?"));
        return f;
    }
    return {QStringLiteral("unknown"), {}};
}

Release describe(const Event &e)
{
    Release r;
    r.address = e.address;
    r.size = e.size;
    const Frame freedBy = ownerOf(e.stack, e.frames);
    const Frame allocatedBy = e.allocFrames > 0 ? ownerOf(e.allocStack, e.allocFrames)
                                                : Frame {QStringLiteral("unseen"), {}};
    // The SDK owned a block it allocated (even if Qt freed it: a buffer handed
    // over) or one it freed (even if Qt allocated it: a buffer adopted).
    r.owner = (freedBy.owner == QLatin1String("SDK") || allocatedBy.owner == QLatin1String("SDK"))
            ? QStringLiteral("SDK")
            : freedBy.owner;
    r.frame = QStringLiteral("allocated by %1 %2, freed by %3 %4")
                      .arg(allocatedBy.owner, allocatedBy.text, freedBy.owner, freedBy.text);
    r.allocatedBy = allocatedBy.owner;
    return r;
}

} // namespace FreeWatch::detail

namespace FreeWatch {

using namespace detail;

void start()
{
    State &s = state();
    if (!s.data) {
        void *arena = mmap(nullptr, kArenaBytes, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (arena == MAP_FAILED)
            return;
        s.events = static_cast<Event *>(arena);
        s.data = static_cast<unsigned char *>(arena) + kMaxEvents * sizeof(Event);
        s.dataCapacity = kArenaBytes - kMaxEvents * sizeof(Event);
        void *sites = mmap(nullptr, kSiteSlots * sizeof(Site), PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (sites != MAP_FAILED)
            s.sites = static_cast<Site *>(sites);
    }
    // backtrace() loads libgcc_s on first use, which allocates: do it now.
    void *warm[4];
    backtrace(warm, 4);
    s.watching.store(true);
}

void stop()
{
    state().watching.store(false);
}

std::size_t overflowed()
{
    return state().overflow;
}

void forEach(const std::function<void(const Release &, QByteArrayView bytes)> &visit)
{
    State &s = state();
    std::vector<unsigned char> plain;
    for (std::size_t i = 0; i < s.eventCount; ++i) {
        const Event &e = s.events[i];
        plain.resize(e.kept);
        for (std::size_t k = 0; k < e.kept; ++k)
            plain[k] = s.data[e.offset + k] ^ kMask;
        visit(describe(e),
              QByteArrayView(reinterpret_cast<const char *>(plain.data()), qsizetype(e.kept)));
        explicit_bzero(plain.data(), plain.size());
    }
}

std::pair<quintptr, std::size_t> arena()
{
    return {quintptr(state().events), state().data ? kArenaBytes : 0};
}

void reset()
{
    State &s = state();
    SpinLock guard(s.lock);
    if (s.data)
        explicit_bzero(s.data, s.dataUsed);
    s.eventCount = 0;
    s.dataUsed = 0;
    s.overflow = 0;
}

} // namespace FreeWatch

// Interposed on glibc's for the whole process (see freewatch.h).
extern "C" {

// While watching, each block handed out is cleared first (malloc() promises
// no contents), so the bytes a block holds when it is freed were written
// while it was allocated: never the leftovers of an earlier owner lying in
// the slack beyond a short string.
void *malloc(std::size_t size)
{
    using namespace FreeWatch::detail;
    void *ptr = __libc_malloc(size);
    if (ptr && size >= kMinRun && state().watching.load(std::memory_order_relaxed) && !t_inHook) {
        t_inHook = true;
        std::memset(ptr, 0, malloc_usable_size(ptr));
        noteAllocation(ptr);
        t_inHook = false;
    }
    return ptr;
}

void *calloc(std::size_t count, std::size_t size)
{
    using namespace FreeWatch::detail;
    void *ptr = __libc_calloc(count, size);
    if (count * size >= kMinRun && state().watching.load(std::memory_order_relaxed) && !t_inHook) {
        t_inHook = true;
        noteAllocation(ptr);
        t_inHook = false;
    }
    return ptr;
}

void free(void *ptr)
{
    FreeWatch::detail::inspect(ptr);
    __libc_free(ptr);
}

// A block that may hold a token moves (copy, inspect, free), so its old
// place is seen like any free. glibc might have grown it in place instead,
// which would leave no copy: this errs on the side of reporting.
void *realloc(void *ptr, std::size_t size)
{
    using namespace FreeWatch::detail;
    State &s = state();
    if (!ptr || size == 0 || !s.watching.load(std::memory_order_relaxed) || t_inHook)
        return __libc_realloc(ptr, size);
    const std::size_t old = malloc_usable_size(ptr);
    t_inHook = true;
    const bool candidate = mayHoldToken(static_cast<const unsigned char *>(ptr), old);
    t_inHook = false;
    if (!candidate) {
        t_inHook = true;
        takeAllocation(ptr, nullptr);
        void *grown = __libc_realloc(ptr, size);
        if (grown) {
            // What lies beyond the old contents is an earlier owner's: clear it.
            const std::size_t now = malloc_usable_size(grown);
            if (now > old)
                std::memset(static_cast<char *>(grown) + old, 0, now - old);
        }
        noteAllocation(grown);
        t_inHook = false;
        return grown;
    }
    void *moved = malloc(size);
    if (!moved)
        return nullptr;
    std::memcpy(moved, ptr, old < size ? old : size);
    free(ptr);
    return moved;
}

} // extern "C"
