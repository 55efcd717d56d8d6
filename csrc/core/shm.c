/* Shared-memory storages: /dev/shm files mapped MAP_SHARED (see ct_shm.h). */
#define _GNU_SOURCE   /* posix_fallocate, MAP_POPULATE */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctorch/ct_backend.h"
#include "ctorch/ct_shm.h"
#include "ctorch/ct_status.h"

#define SHM_DIR "/dev/shm"

/* the release context of a shared storage: its mapping and how it is shared */
typedef struct {
    void *base;
    size_t maplen;
    int fd;              /* CT_SHM_FD: the open (unlinked) file, else -1 */
    int64_t *count;      /* CT_SHM_NAME: the storages over the file, after the data; else NULL */
    char name[64];       /* CT_SHM_NAME: "/ctorch_..." under SHM_DIR; else "" */
} ct_shm;

/* the data rounded up to 8 bytes, plus the count for named files (never 0: mmap refuses 0) */
static size_t shm_maplen(int64_t nbytes, bool named) {
    size_t len = ((size_t)nbytes + 7) & ~(size_t)7;
    return len + (named || len == 0 ? sizeof(int64_t) : 0);
}

static void shm_path(char *path, size_t n, const char *name) { snprintf(path, n, SHM_DIR "%s", name); }

static void shm_release(void *ctx, void *data) {
    (void)data;
    ct_shm *m = ctx;
    if (m->count && __atomic_sub_fetch(m->count, 1, __ATOMIC_ACQ_REL) == 0) {
        char path[96];
        shm_path(path, sizeof path, m->name);
        unlink(path);
    }
    munmap(m->base, m->maplen);
    if (m->fd >= 0) close(m->fd);
    free(m);
}

/* map fd's first maplen bytes (the file must hold them) into a new context; flags: MAP_POPULATE
 * for a new file about to be filled (one call instead of a page fault per page) */
static ct_shm *shm_map(int fd, size_t maplen, const char *what, int flags) {
    struct stat st;
    if (fstat(fd, &st) < 0 || (size_t)st.st_size < maplen)
        return ct_error_null(CT_ERR_RUNTIME, "shared memory object <%s> is smaller than the storage it holds", what);
    void *base = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED | flags, fd, 0);
    if (base == MAP_FAILED)
        return ct_error_null(CT_ERR_RUNTIME, "unable to mmap %zu bytes from shared memory object <%s>: %s (%d)",
                             maplen, what, strerror(errno), errno);
    ct_shm *m = calloc(1, sizeof *m);
    if (!m) {
        munmap(base, maplen);
        return ct_error_null(CT_ERR_NOMEM, "DefaultCPUAllocator: can't allocate memory");
    }
    m->base = base;
    m->maplen = maplen;
    m->fd = -1;
    return m;
}

/* a new file of maplen bytes, named uniquely into name; its open fd, or -1 */
static int shm_create_file(char *name, size_t name_len, size_t maplen) {
    static unsigned counter;
    char path[96];
    for (int tries = 0; tries < 16; tries++) {
        unsigned n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
        unsigned salt = (unsigned)time(NULL) ^ (n * 2654435761u);   /* O_EXCL settles a clash */
        snprintf(name, name_len, "/ctorch_%d_%u_%u", (int)getpid(), salt, n);
        shm_path(path, sizeof path, name);
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd < 0 && errno == EEXIST) continue;
        if (fd < 0) {
            ct_error(CT_ERR_RUNTIME, "unable to open shared memory object <%s> in read-write mode: %s (%d)", name,
                     strerror(errno), errno);
            return -1;
        }
        /* the pages are reserved now: a full /dev/shm is this error, not a SIGBUS on first write */
        int err = posix_fallocate(fd, 0, (off_t)maplen);
        if (err == 0) return fd;
        ct_error(CT_ERR_RUNTIME, "unable to allocate %zu bytes for shared memory file <%s>: %s (%d)", maplen, name,
                 strerror(err), err);
        close(fd);
        unlink(path);
        return -1;
    }
    ct_error(CT_ERR_RUNTIME, "unable to find a free name for a shared memory object");
    return -1;
}

/* a new shared file of nbytes, mapped: unlinked with its fd kept (CT_SHM_FD) or named and counted */
static ct_shm *shm_create(int64_t nbytes, ct_shm_strategy strategy) {
    bool named = strategy == CT_SHM_NAME;
    size_t maplen = shm_maplen(nbytes, named);
    char name[64], path[96];
    int fd = shm_create_file(name, sizeof name, maplen);
    if (fd < 0) return NULL;
    shm_path(path, sizeof path, name);
    ct_shm *m = shm_map(fd, maplen, name, MAP_POPULATE);
    if (!m) {
        close(fd);
        unlink(path);
        return NULL;
    }
    if (named) {
        close(fd);
        m->count = (int64_t *)((char *)m->base + maplen - sizeof(int64_t));
        __atomic_store_n(m->count, 1, __ATOMIC_RELEASE);
        snprintf(m->name, sizeof m->name, "%s", name);
    } else {
        unlink(path);
        m->fd = fd;
    }
    return m;
}

static ct_storage *shm_storage(ct_shm *m, int64_t nbytes) {
    ct_storage *s = ct_storage_wrap(m->base, nbytes, ct_cpu(), shm_release, m);
    if (!s) shm_release(m, m->base);
    return s;
}

ct_storage *ct_storage_new_shared(int64_t nbytes, ct_shm_strategy strategy) {
    if (nbytes < 0) return ct_error_null(CT_ERR_VALUE, "a storage cannot have %lld bytes", (long long)nbytes);
    ct_shm *m = shm_create(nbytes, strategy);
    return m ? shm_storage(m, nbytes) : NULL;
}

bool ct_storage_is_shared(const ct_storage *s) { return s->release == shm_release; }

int ct_storage_share(ct_storage *s, ct_shm_strategy strategy) {
    if (ct_storage_is_shared(s)) return 0;
    if (s->device.type != CT_DEV_CPU)
        return ct_error(CT_ERR_NOTIMPL, "share_memory_: only CPU storages can be moved to shared memory");
    ct_shm *m = shm_create(s->nbytes, strategy);
    if (!m) return -1;
    if (s->nbytes) memcpy(m->base, s->data, (size_t)s->nbytes);
    if (s->release) {
        s->release(s->release_ctx, s->data);
    } else {
        const ct_backend *be = ct_get_backend(CT_DEV_CPU);
        be->free(s->data, s->nbytes, s->device.index);
    }
    s->data = m->base;
    s->release = shm_release;
    s->release_ctx = m;
    return 0;
}

int ct_storage_shm_fd(const ct_storage *s) {
    return ct_storage_is_shared(s) ? ((const ct_shm *)s->release_ctx)->fd : -1;
}

const char *ct_storage_shm_name(const ct_storage *s) {
    if (!ct_storage_is_shared(s)) return NULL;
    const ct_shm *m = s->release_ctx;
    return m->count ? m->name : NULL;
}

int ct_storage_shm_count(ct_storage *s, int delta) {
    if (!ct_storage_shm_name(s)) return ct_error(CT_ERR_RUNTIME, "the storage is not in a named shared memory file");
    __atomic_add_fetch(((ct_shm *)s->release_ctx)->count, delta, __ATOMIC_ACQ_REL);
    return 0;
}

ct_storage *ct_storage_from_shm_fd(int fd, int64_t nbytes) {
    if (nbytes < 0) return ct_error_null(CT_ERR_VALUE, "a storage cannot have %lld bytes", (long long)nbytes);
    int own = dup(fd);
    if (own < 0)
        return ct_error_null(CT_ERR_RUNTIME, "unable to duplicate the fd of a shared memory object: %s (%d)",
                             strerror(errno), errno);
    ct_shm *m = shm_map(own, shm_maplen(nbytes, false), "fd", 0);
    if (!m) {
        close(own);
        return NULL;
    }
    m->fd = own;
    return shm_storage(m, nbytes);
}

ct_storage *ct_storage_from_shm_name(const char *name, int64_t nbytes) {
    if (nbytes < 0) return ct_error_null(CT_ERR_VALUE, "a storage cannot have %lld bytes", (long long)nbytes);
    if (name[0] != '/' || strchr(name + 1, '/') || strlen(name) >= sizeof(((ct_shm *)0)->name))
        return ct_error_null(CT_ERR_VALUE, "invalid shared memory object name <%s>", name);
    char path[96];
    shm_path(path, sizeof path, name);
    int fd = open(path, O_RDWR);
    if (fd < 0)
        return ct_error_null(CT_ERR_RUNTIME, "unable to open shared memory object <%s> in read-write mode: %s (%d)",
                             name, strerror(errno), errno);
    size_t maplen = shm_maplen(nbytes, true);
    ct_shm *m = shm_map(fd, maplen, name, 0);
    close(fd);
    if (!m) return NULL;
    m->count = (int64_t *)((char *)m->base + maplen - sizeof(int64_t));
    __atomic_add_fetch(m->count, 1, __ATOMIC_ACQ_REL);
    snprintf(m->name, sizeof m->name, "%s", name);
    return shm_storage(m, nbytes);
}
