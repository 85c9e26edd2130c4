// LD_PRELOAD malloc counter for whole-process allocation checks (alloc-growth.sh).
// Counts calls to malloc, calloc, realloc, posix_memalign, aligned_alloc and memalign in a file-backed
// page (MALLOC_COUNT_FILE) that the checking script reads at any time without touching the process.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile uint64_t *counter;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
// dlsym itself may calloc before real_calloc is known: serve it from a small static arena.
static char arena[8192];
static size_t arena_used;

static void count(void) { if (counter) __atomic_add_fetch(counter, 1, __ATOMIC_RELAXED); }

__attribute__((constructor)) static void init(void) {
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = dlsym(RTLD_NEXT, "memalign");
    const char *path = getenv("MALLOC_COUNT_FILE");
    if (!path) return;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, 4096) != 0) return;
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m != MAP_FAILED) counter = m;
}

void *malloc(size_t n) { if (!real_malloc) init(); count(); return real_malloc(n); }
void *calloc(size_t a, size_t b) {
    if (!real_calloc) {
        size_t n = (a * b + 15) & ~(size_t)15;
        if (arena_used + n > sizeof arena) return NULL;
        void *p = arena + arena_used; arena_used += n; return p;
    }
    count(); return real_calloc(a, b);
}
void *realloc(void *p, size_t n) { if (!real_realloc) init(); count(); return real_realloc(p, n); }
int posix_memalign(void **p, size_t a, size_t n) { if (!real_posix_memalign) init(); count(); return real_posix_memalign(p, a, n); }
void *aligned_alloc(size_t a, size_t n) { if (!real_aligned_alloc) init(); count(); return real_aligned_alloc(a, n); }
void *memalign(size_t a, size_t n) { if (!real_memalign) init(); count(); return real_memalign(a, n); }
void free(void *p) {
    static void (*real_free)(void *);
    if ((char *)p >= arena && (char *)p < arena + sizeof arena) return;
    if (!real_free) real_free = dlsym(RTLD_NEXT, "free");
    real_free(p);
}
