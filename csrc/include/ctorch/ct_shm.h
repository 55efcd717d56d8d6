/* Shared-memory storages (ctorch.multiprocessing): the bytes of a CPU storage
 * live in a /dev/shm file mapped MAP_SHARED, so every process that maps the
 * file reads and writes the same memory.
 *
 * Two strategies, as PyTorch's sharing strategies:
 *   CT_SHM_FD    the file is unlinked as soon as it is made; every storage over
 *                it keeps an fd open, and an fd is what another process gets.
 *   CT_SHM_NAME  the file keeps its name, which another process opens; a count
 *                of the storages over it (in all processes) sits after the data
 *                in the mapping, and the last one freed unlinks the file. */
#ifndef CT_SHM_H
#define CT_SHM_H

#include <stdbool.h>
#include <stdint.h>

#include "ctorch/ct_tensor.h"

typedef enum { CT_SHM_FD = 0, CT_SHM_NAME = 1 } ct_shm_strategy;

/* a new CPU storage of nbytes (uninitialized) in a new shared file */
ct_storage *ct_storage_new_shared(int64_t nbytes, ct_shm_strategy strategy);
/* move a CPU storage's bytes into a new shared file, in place: every tensor
 * over s sees the same values afterwards. No-op when s is shared already. */
int ct_storage_share(ct_storage *s, ct_shm_strategy strategy);
bool ct_storage_is_shared(const ct_storage *s);
/* the handle another process needs: the fd (CT_SHM_FD, else -1) or the file
 * name (CT_SHM_NAME, else NULL) of a shared storage */
int ct_storage_shm_fd(const ct_storage *s);
const char *ct_storage_shm_name(const ct_storage *s);
/* CT_SHM_NAME: add delta to the file's count (a handle in flight holds one) */
int ct_storage_shm_count(ct_storage *s, int delta);
/* a storage of nbytes over a shared file: by fd (duplicated, the caller keeps
 * its own) or by name (counted); the file must hold the bytes */
ct_storage *ct_storage_from_shm_fd(int fd, int64_t nbytes);
ct_storage *ct_storage_from_shm_name(const char *name, int64_t nbytes);

#endif
