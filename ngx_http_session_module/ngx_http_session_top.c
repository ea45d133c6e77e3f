
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_shm.h"


/*
 * The busiest accounts: a small table in the zone of the accounts with
 * the most open sessions, kept as sessions are attached, so the status
 * reads it without walking the accounts.  Called by the store only,
 * with the zone locked; calls nothing of the module.
 *
 * An account enters the table when it gains an open session and then
 * has more open sessions than the table's smallest entry (or the table
 * has room).  Entries are never re-ranked when counts fall, so an
 * account that grew while the table's entries shrank is seen at its
 * next new session: the table is exact for accounts that grow, as the
 * busy ones do, and a bounded approximation otherwise.
 */


void
ngx_http_session_top_gain(ngx_http_session_shctx_t *sh,
    ngx_http_session_account_t *acct)
{
    ngx_uint_t                   i, low;
    ngx_http_session_account_t  *a;

    low = NGX_HTTP_SESSION_TOP;

    for (i = 0; i < NGX_HTTP_SESSION_TOP; i++) {
        a = sh->top[i];

        if (a == acct) {
            return;
        }

        if (a == NULL) {
            if (low == NGX_HTTP_SESSION_TOP || sh->top[low] != NULL) {
                low = i;
            }

            continue;
        }

        if (low == NGX_HTTP_SESSION_TOP
            || (sh->top[low] != NULL && a->nactive < sh->top[low]->nactive))
        {
            low = i;
        }
    }

    if (sh->top[low] == NULL || sh->top[low]->nactive < acct->nactive) {
        sh->top[low] = acct;
    }
}


/* the record is about to be freed */

void
ngx_http_session_top_drop(ngx_http_session_shctx_t *sh,
    ngx_http_session_account_t *acct)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_SESSION_TOP; i++) {
        if (sh->top[i] == acct) {
            sh->top[i] = NULL;
            return;
        }
    }
}


/* the account moved to a new record (a longer name) */

void
ngx_http_session_top_move(ngx_http_session_shctx_t *sh,
    ngx_http_session_account_t *from, ngx_http_session_account_t *to)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_SESSION_TOP; i++) {
        if (sh->top[i] == from) {
            sh->top[i] = to;
            return;
        }
    }
}


/*
 * Copies the entries with open sessions, most open sessions first, into
 * the caller's snapshot: at most NGX_HTTP_SESSION_TOP small copies, so
 * the lock is held about as long as for the counters.
 */

void
ngx_http_session_top_copy(ngx_http_session_shctx_t *sh,
    ngx_http_session_stats_t *st)
{
    ngx_uint_t                     i, j, n;
    ngx_http_session_account_t    *a;
    ngx_http_session_top_entry_t  *e, tmp;

    n = 0;

    for (i = 0; i < NGX_HTTP_SESSION_TOP; i++) {
        a = sh->top[i];

        if (a == NULL || a->nactive == 0) {
            continue;
        }

        e = &st->top[n++];

        e->type = a->type;
        e->open = a->nactive;
        /* the store refuses longer ones; the bound keeps the copy safe */
        e->id_len = (u_char) ngx_min(a->id_len, NGX_HTTP_SESSION_ID_MAX);
        e->name_len = (u_char) ngx_min(a->name_len,
                                       NGX_HTTP_SESSION_NAME_MAX);
        ngx_memcpy(e->id, a->data, e->id_len);
        ngx_memcpy(e->name, a->data + a->id_len, e->name_len);
    }

    st->ntop = n;

    /* insertion sort of ten: most open first, then by id */

    for (i = 1; i < n; i++) {
        tmp = st->top[i];

        for (j = i; j > 0; j--) {
            e = &st->top[j - 1];

            if (e->open > tmp.open
                || (e->open == tmp.open
                    && ngx_memn2cmp(e->id, tmp.id, e->id_len, tmp.id_len)
                       <= 0))
            {
                break;
            }

            st->top[j] = *e;
        }

        st->top[j] = tmp;
    }
}


#if (NGX_HTTP_SESSION_CHECK)

/*
 * For ngx_http_session_check(): no entry twice; "live" is how many
 * entries the check found in the account tree, which must be all.
 */

const char *
ngx_http_session_top_check(ngx_http_session_shctx_t *sh, ngx_uint_t live)
{
    ngx_uint_t  i, j, n;

    n = 0;

    for (i = 0; i < NGX_HTTP_SESSION_TOP; i++) {
        if (sh->top[i] == NULL) {
            continue;
        }

        n++;

        for (j = i + 1; j < NGX_HTTP_SESSION_TOP; j++) {
            if (sh->top[j] == sh->top[i]) {
                return "an account twice in the busiest accounts";
            }
        }
    }

    if (n != live) {
        return "an entry of the busiest accounts is not a live account";
    }

    return NULL;
}

#endif
