/*
 * sqlite_vfs.c - the VFS every oms connection opens its files with: the system's default VFS,
 * except that a WAL frame is written with one system call instead of two.
 *
 * SQLite writes each frame of the WAL as two writes: its 24-byte header, then the page right
 * after it (wal.c, walWriteOneFrame). On the writer each is a pwrite of its own, and the
 * kernel's cost of a small pwrite is most of the cost of a page's; at 64 clients they were
 * 2.8 system calls per order and a tenth of the server's CPU (bench/README.md, "The write
 * path"). Here a 24-byte write to a WAL file waits, copied, until the write that follows: when
 * that is its page (the next offset), the two go down as one write of header and page; any
 * other call on the file first writes the header as it came. The bytes, their offsets and the
 * order of the writes against every sync are SQLite's own; a header never waits past the
 * write of its frame, and the frame becomes visible to other connections only afterwards,
 * when the writer updates the shared WAL index.
 *
 * Every other file, and every other call, goes to the default VFS unchanged.
 */
#include "base/platform.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_vfs.h"

#define FRAME_HEADER_BYTES 24 /* WAL_FRAME_HDRSIZE in SQLite's wal.c */
#define WAL_HEADER_BYTES 32   /* WAL_HDRSIZE: the file's own header, at offset 0 */

struct oms_file {
    sqlite3_file base;
    sqlite3_file *real; /* The default VFS's file: follows this struct in the same block. */
    bool wal;
    bool held; /* A frame header waits for its page. */
    sqlite3_int64 held_at;
    unsigned char header[FRAME_HEADER_BYTES];
    unsigned char *joined; /* Header and page, written as one. */
    int joined_cap;
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs oms_vfs;

static sqlite3_file *real_of(sqlite3_file *file) { return ((struct oms_file *)file)->real; }

static int write_held(struct oms_file *f)
{
    if (!f->held) return SQLITE_OK;
    f->held = false;
    return f->real->pMethods->xWrite(f->real, f->header, FRAME_HEADER_BYTES, f->held_at);
}

static int file_close(sqlite3_file *file)
{
    struct oms_file *f = (struct oms_file *)file;
    int rc = write_held(f);
    int closed = f->real->pMethods->xClose(f->real);
    free(f->joined);
    f->joined = NULL;
    return rc != SQLITE_OK ? rc : closed;
}

static int file_write(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
    struct oms_file *f = (struct oms_file *)file;
    sqlite3_file *real = f->real;
    if (f->held && offset == f->held_at + FRAME_HEADER_BYTES && amount > 0) {
        if (amount + FRAME_HEADER_BYTES > f->joined_cap) {
            unsigned char *grown = realloc(f->joined, (size_t)amount + FRAME_HEADER_BYTES);
            if (!grown) { /* Out of memory: the two writes as SQLite made them. */
                int rc = write_held(f);
                return rc != SQLITE_OK ? rc : real->pMethods->xWrite(real, data, amount, offset);
            }
            f->joined = grown;
            f->joined_cap = amount + FRAME_HEADER_BYTES;
        }
        memcpy(f->joined, f->header, FRAME_HEADER_BYTES);
        memcpy(f->joined + FRAME_HEADER_BYTES, data, (size_t)amount);
        f->held = false;
        return real->pMethods->xWrite(real, f->joined, amount + FRAME_HEADER_BYTES, f->held_at);
    }
    int rc = write_held(f);
    if (rc != SQLITE_OK) return rc;
    if (f->wal && amount == FRAME_HEADER_BYTES && offset >= WAL_HEADER_BYTES) {
        memcpy(f->header, data, FRAME_HEADER_BYTES);
        f->held_at = offset;
        f->held = true;
        return SQLITE_OK;
    }
    return real->pMethods->xWrite(real, data, amount, offset);
}

/* The calls that only pass through, each after a waiting header has been written. */
#define WRITE_HELD_OR_RETURN(file)                                                            \
    do {                                                                                      \
        int held_rc_ = write_held((struct oms_file *)(file));                                 \
        if (held_rc_ != SQLITE_OK) return held_rc_;                                           \
    } while (0)

static int file_read(sqlite3_file *file, void *data, int amount, sqlite3_int64 offset)
{
    WRITE_HELD_OR_RETURN(file);
    return real_of(file)->pMethods->xRead(real_of(file), data, amount, offset);
}
static int file_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    WRITE_HELD_OR_RETURN(file);
    return real_of(file)->pMethods->xTruncate(real_of(file), size);
}
static int file_sync(sqlite3_file *file, int flags)
{
    WRITE_HELD_OR_RETURN(file);
    return real_of(file)->pMethods->xSync(real_of(file), flags);
}
static int file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    WRITE_HELD_OR_RETURN(file);
    return real_of(file)->pMethods->xFileSize(real_of(file), size);
}
static int file_lock(sqlite3_file *file, int level)
{
    WRITE_HELD_OR_RETURN(file);
    return real_of(file)->pMethods->xLock(real_of(file), level);
}
static int file_unlock(sqlite3_file *file, int level)
{
    WRITE_HELD_OR_RETURN(file);
    return real_of(file)->pMethods->xUnlock(real_of(file), level);
}
static int file_check_reserved(sqlite3_file *file, int *out)
{
    return real_of(file)->pMethods->xCheckReservedLock(real_of(file), out);
}
static int file_control(sqlite3_file *file, int op, void *arg)
{
    WRITE_HELD_OR_RETURN(file);
    return real_of(file)->pMethods->xFileControl(real_of(file), op, arg);
}
static int file_sector_size(sqlite3_file *file)
{
    return real_of(file)->pMethods->xSectorSize(real_of(file));
}
static int file_device(sqlite3_file *file)
{
    return real_of(file)->pMethods->xDeviceCharacteristics(real_of(file));
}
static int file_shm_map(sqlite3_file *file, int page, int size, int extend,
                        void volatile **out)
{
    return real_of(file)->pMethods->xShmMap(real_of(file), page, size, extend, out);
}
static int file_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    return real_of(file)->pMethods->xShmLock(real_of(file), offset, n, flags);
}
static void file_shm_barrier(sqlite3_file *file)
{
    real_of(file)->pMethods->xShmBarrier(real_of(file));
}
static int file_shm_unmap(sqlite3_file *file, int delete_flag)
{
    return real_of(file)->pMethods->xShmUnmap(real_of(file), delete_flag);
}
static int file_fetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
    WRITE_HELD_OR_RETURN(file);
    return real_of(file)->pMethods->xFetch(real_of(file), offset, amount, out);
}
static int file_unfetch(sqlite3_file *file, sqlite3_int64 offset, void *page)
{
    return real_of(file)->pMethods->xUnfetch(real_of(file), offset, page);
}

static const sqlite3_io_methods methods = {
    .iVersion = 3,
    .xClose = file_close,
    .xRead = file_read,
    .xWrite = file_write,
    .xTruncate = file_truncate,
    .xSync = file_sync,
    .xFileSize = file_size,
    .xLock = file_lock,
    .xUnlock = file_unlock,
    .xCheckReservedLock = file_check_reserved,
    .xFileControl = file_control,
    .xSectorSize = file_sector_size,
    .xDeviceCharacteristics = file_device,
    .xShmMap = file_shm_map,
    .xShmLock = file_shm_lock,
    .xShmBarrier = file_shm_barrier,
    .xShmUnmap = file_shm_unmap,
    .xFetch = file_fetch,
    .xUnfetch = file_unfetch,
};

static int vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                    int *out_flags)
{
    (void)vfs;
    struct oms_file *f = (struct oms_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    f->wal = (flags & SQLITE_OPEN_WAL) != 0;
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    /* The real file's methods decide whether SQLite must call xClose (set even on some
     * failures); ours stand in front of them. */
    f->base.pMethods = f->real->pMethods ? &methods : NULL;
    return rc;
}

static void register_vfs(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs) return;
    oms_vfs = *real_vfs;
    oms_vfs.pNext = NULL;
    oms_vfs.zName = OMS_SQLITE_VFS;
    oms_vfs.szOsFile = (int)sizeof(struct oms_file) + real_vfs->szOsFile;
    oms_vfs.xOpen = vfs_open;
    if (sqlite3_vfs_register(&oms_vfs, 0) != SQLITE_OK) real_vfs = NULL;
}

const char *oms__sqlite_vfs(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_vfs);
    return real_vfs ? OMS_SQLITE_VFS : NULL; /* NULL: SQLite's default. */
}
