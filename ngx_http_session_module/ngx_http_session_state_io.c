
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_session_state.h"


/*
 * The state file's system calls, made off worker 0's event loop: in a
 * thread of nginx's thread pool where nginx has threads, inline
 * otherwise and while worker 0 exits.  Nothing here logs or touches the
 * zone: an operation leaves the errno and the call that failed for
 * worker 0 to log (ngx_http_session_state_save.c drives them).
 *
 * Ownership is by file locks, which die with their process, never by
 * pid.  FILE.tmp is created with O_EXCL and locked; a FILE.tmp that
 * exists and is locked belongs to a save under way, one that is not
 * was left by a save whose process died, and is removed.  A writer
 * keeps its lock on the file it renamed over FILE for as long as it
 * runs, so another nginx sharing the file (a binary upgrade) can tell a
 * live writer from a header that only names one.
 *
 * Nothing is opened through a symbolic link, and nothing but a regular
 * file is read or replaced.  Calls the line reader
 * (ngx_http_session_state_load.c).
 */


static void ngx_http_session_state_io_open(ngx_http_session_state_io_t *io);
static void ngx_http_session_state_io_write(ngx_http_session_state_io_t *io);
static void ngx_http_session_state_io_finish(
    ngx_http_session_state_io_t *io);
static void ngx_http_session_state_io_abort(ngx_http_session_state_io_t *io);
static void ngx_http_session_state_io_check(ngx_http_session_state_io_t *io);
static void ngx_http_session_state_io_failed(ngx_http_session_state_io_t *io,
    const char *what, u_char *name);


void
ngx_http_session_state_io(ngx_http_session_state_io_t *io)
{
    io->result = NGX_HTTP_SESSION_IO_DONE;
    io->err = 0;

    switch (io->op) {

    case NGX_HTTP_SESSION_IO_OPEN:
        ngx_http_session_state_io_open(io);
        break;

    case NGX_HTTP_SESSION_IO_WRITE:
        ngx_http_session_state_io_write(io);
        break;

    case NGX_HTTP_SESSION_IO_FINISH:
        ngx_http_session_state_io_finish(io);
        break;

    case NGX_HTTP_SESSION_IO_ABORT:
        ngx_http_session_state_io_abort(io);
        break;

    case NGX_HTTP_SESSION_IO_CHECK:
        ngx_http_session_state_io_check(io);
        break;

    case NGX_HTTP_SESSION_IO_READ:
        if (ngx_http_session_state_fill(io->reader) != NGX_OK) {
            ngx_http_session_state_io_failed(io, "read()", io->path);
        }
        break;

    default: /* NGX_HTTP_SESSION_IO_CLOSE */
        (void) close(io->reader->fd);
        io->reader->fd = NGX_INVALID_FILE;
        break;
    }
}


/*
 * FILE.tmp, created and locked.  BUSY: another process writes it, or
 * takes it over right now.
 */

static void
ngx_http_session_state_io_open(ngx_http_session_state_io_t *io)
{
    ngx_fd_t         fd;
    ngx_err_t        err;
    ngx_uint_t       tries;
    ngx_file_info_t  fi, li;

    for (tries = 0; tries < 2; tries++) {

        fd = open((char *) io->temp, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW,
                  0600);

        if (fd != -1) {
            err = ngx_trylock_fd(fd);

            /*
             * Between open() and the lock, a process that found the file
             * may have taken it for a leftover and removed it: then the
             * file is no longer the one the name gives.
             */

            if (err == 0
                && ngx_fd_info(fd, &fi) != NGX_FILE_ERROR
                && lstat((char *) io->temp, &li) != -1
                && fi.st_ino == li.st_ino && fi.st_dev == li.st_dev)
            {
                io->fd = fd;
                io->written = 0;
                return;
            }

            (void) close(fd);
            io->result = NGX_HTTP_SESSION_IO_BUSY;
            return;
        }

        if (ngx_errno != NGX_EEXIST) {
            ngx_http_session_state_io_failed(io, "open()", io->temp);
            return;
        }

        /* a save under way, or the leftover of one whose process died */

        fd = open((char *) io->temp, O_WRONLY|O_NOFOLLOW|O_NONBLOCK);

        if (fd == -1) {
            err = ngx_errno;

            if (err == NGX_ENOENT) {
                continue;
            }

            /* a symbolic link (ELOOP), a FIFO with no reader (ENXIO) */

            io->result = (err == NGX_ELOOP || err == ENXIO)
                         ? NGX_HTTP_SESSION_IO_REFUSED
                         : NGX_HTTP_SESSION_IO_FAILED;
            io->err = err;
            io->what = "open()";
            io->name = io->temp;
            return;
        }

        if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
            ngx_http_session_state_io_failed(io, ngx_fd_info_n, io->temp);
            (void) close(fd);
            return;
        }

        if (!S_ISREG(fi.st_mode)) {
            (void) close(fd);
            io->result = NGX_HTTP_SESSION_IO_REFUSED;
            io->name = io->temp;
            return;
        }

        if (ngx_trylock_fd(fd) != 0) {
            (void) close(fd);
            io->result = NGX_HTTP_SESSION_IO_BUSY;
            return;
        }

        /* nobody writes it: removed, unless the name moved on meanwhile */

        if (lstat((char *) io->temp, &li) != -1
            && li.st_ino == fi.st_ino && li.st_dev == fi.st_dev)
        {
            (void) unlink((char *) io->temp);
        }

        (void) close(fd);
    }

    io->result = NGX_HTTP_SESSION_IO_BUSY;
}


static void
ngx_http_session_state_io_write(ngx_http_session_state_io_t *io)
{
    u_char   *p, *last;
    ssize_t   n;

    last = io->data + io->len;

    for (p = io->data; p < last; p += n) {

        n = write(io->fd, p, last - p);

        if (n == -1) {
            if (ngx_errno == NGX_EINTR) {
                n = 0;
                continue;
            }

            ngx_http_session_state_io_failed(io, "write()", io->temp);
            return;
        }
    }

#if (NGX_LINUX)
    /*
     * Written back as it goes: renaming over a file on ext4 would
     * otherwise start the writeback of all of it inside rename().
     */
    (void) sync_file_range(io->fd, io->written, io->len,
                           SYNC_FILE_RANGE_WRITE);
#endif

    io->written += io->len;
}


/*
 * The last lines, then the file reaches the disk before it replaces
 * FILE: after a power loss FILE is the old snapshot or the new one,
 * whole.  The lock on FILE.tmp stays, now on FILE; the file it replaced
 * is released here, so freeing its blocks stalls no one.
 */

static void
ngx_http_session_state_io_finish(ngx_http_session_state_io_t *io)
{
    ngx_file_info_t  fi;

    ngx_http_session_state_io_write(io);

    if (io->result != NGX_HTTP_SESSION_IO_DONE) {
        return;
    }

#if (NGX_LINUX)
    if (fdatasync(io->fd) == -1) {
        ngx_http_session_state_io_failed(io, "fdatasync()", io->temp);
        return;
    }
#else
    if (fsync(io->fd) == -1) {
        ngx_http_session_state_io_failed(io, "fsync()", io->temp);
        return;
    }
#endif

    if (lstat((char *) io->path, &fi) == -1) {

        if (ngx_errno != NGX_ENOENT) {
            ngx_http_session_state_io_failed(io, "lstat()", io->path);
            return;
        }

    } else if (!S_ISREG(fi.st_mode)) {
        io->result = NGX_HTTP_SESSION_IO_REFUSED;
        io->name = io->path;
        return;
    }

    if (rename((char *) io->temp, (char *) io->path) == -1) {
        ngx_http_session_state_io_failed(io, "rename()", io->path);
        return;
    }

    if (io->held != NGX_INVALID_FILE) {
        (void) close(io->held);
    }

    io->held = io->fd;
    io->fd = NGX_INVALID_FILE;

    if (ngx_fd_info(io->held, &fi) != NGX_FILE_ERROR) {
        io->held_uniq = fi.st_ino;
        io->held_dev = fi.st_dev;
    }
}


/*
 * A save that failed: FILE.tmp, still locked, is ours to remove.  With
 * "set_aside", FILE is renamed to FILE.old, so that a restart cannot
 * bring back the sessions that ended since it was written.
 */

static void
ngx_http_session_state_io_abort(ngx_http_session_state_io_t *io)
{
    ngx_file_info_t  fi;

    if (io->fd != NGX_INVALID_FILE) {
        (void) unlink((char *) io->temp);
        (void) close(io->fd);
        io->fd = NGX_INVALID_FILE;
    }

    io->aside_done = 0;
    io->aside_err = 0;

    if (!io->set_aside) {
        return;
    }

    if (lstat((char *) io->path, &fi) == -1) {
        /* no file: nothing to bring back */
        io->aside_err = (ngx_errno == NGX_ENOENT) ? 0 : ngx_errno;
        return;
    }

    if (!S_ISREG(fi.st_mode)) {
        return;
    }

    if (rename((char *) io->path, (char *) io->aside) == -1) {
        io->aside_err = ngx_errno;
        return;
    }

    io->aside_done = 1;

    if (io->held != NGX_INVALID_FILE) {
        (void) close(io->held);
        io->held = NGX_INVALID_FILE;
    }
}


/*
 * Whether FILE is the one saved here (OURS), missing (NONE), saved by
 * another process of this zone since (DONE: its mtime is no later than
 * the zone's last save), or another writer's (FOREIGN): then it is open
 * in the reader, with its first bytes read, and "locker" is the process
 * that still holds its lock, if any.
 *
 * FILE is looked at before it is opened: closing any descriptor of the
 * file this process saved would drop the lock it keeps on it.
 */

static void
ngx_http_session_state_io_check(ngx_http_session_state_io_t *io)
{
    int64_t                           mtime;
    ngx_fd_t                          fd;
    struct flock                      fl;
    ngx_file_info_t                   fi, li;
    ngx_http_session_state_reader_t  *rd;

    io->locker = 0;

    if (lstat((char *) io->path, &li) == -1) {

        if (ngx_errno == NGX_ENOENT) {
            io->result = NGX_HTTP_SESSION_IO_NONE;
            return;
        }

        ngx_http_session_state_io_failed(io, "lstat()", io->path);
        return;
    }

    if (!S_ISREG(li.st_mode)) {
        io->result = NGX_HTTP_SESSION_IO_REFUSED;
        io->name = io->path;
        return;
    }

    if (io->held != NGX_INVALID_FILE
        && li.st_ino == io->held_uniq && li.st_dev == io->held_dev)
    {
        io->result = NGX_HTTP_SESSION_IO_OURS;
        return;
    }

#if (NGX_HAVE_STAT_MTIM)
    mtime = (int64_t) li.st_mtim.tv_sec * 1000
            + li.st_mtim.tv_nsec / 1000000;
#elif (NGX_HAVE_STAT_MTIMESPEC)
    mtime = (int64_t) li.st_mtimespec.tv_sec * 1000
            + li.st_mtimespec.tv_nsec / 1000000;
#else
    /* seconds only: a file of the same second counts as this zone's */
    mtime = (int64_t) li.st_mtime * 1000;
#endif

    /*
     * The file's mtime is never later than the saved_at of its save:
     * another process of this zone saved it (the old worker 0 of a
     * reload), nothing to take from it.
     */

    if (mtime <= io->saved_at) {
        return;
    }

    fd = open((char *) io->path, O_RDONLY|O_NOFOLLOW|O_NONBLOCK);

    if (fd == -1) {
        ngx_http_session_state_io_failed(io, "open()", io->path);
        return;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR || !S_ISREG(fi.st_mode)) {
        (void) close(fd);
        io->result = NGX_HTTP_SESSION_IO_REFUSED;
        io->name = io->path;
        return;
    }

    ngx_memzero(&fl, sizeof(struct flock));
    fl.l_type = F_RDLCK;
    fl.l_whence = SEEK_SET;

    if (fcntl(fd, F_GETLK, &fl) != -1 && fl.l_type != F_UNLCK) {
        io->locker = fl.l_pid ? fl.l_pid : -1;
    }

    rd = io->reader;

    rd->fd = fd;
    rd->pos = rd->buf;
    rd->last = rd->buf;
    rd->read = 0;
    rd->skip = 0;
    rd->eof = 0;
    rd->cut = 0;

    io->result = NGX_HTTP_SESSION_IO_FOREIGN;

    if (ngx_http_session_state_fill(rd) != NGX_OK) {
        /* read as empty: it is replaced */
        rd->eof = 1;
    }
}


static void
ngx_http_session_state_io_failed(ngx_http_session_state_io_t *io,
    const char *what, u_char *name)
{
    io->result = NGX_HTTP_SESSION_IO_FAILED;
    io->err = ngx_errno;
    io->what = what;
    io->name = name;
}
