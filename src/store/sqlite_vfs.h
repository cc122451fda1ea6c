/*
 * sqlite_vfs.h - the VFS of oms's SQLite connections (internal to the SQLite store): the
 * default one, with each WAL frame written in one system call (sqlite_vfs.c says why).
 */
#ifndef OMS_STORE_SQLITE_VFS_H
#define OMS_STORE_SQLITE_VFS_H

#include <sqlite3.h>

#define OMS_SQLITE_VFS "oms"

/* The VFS name to open connections with, registered on the first call (any thread); NULL
 * (SQLite's default VFS) if it could not be. It wraps whatever VFS is the default then. */
const char *oms__sqlite_vfs(void);

#endif
