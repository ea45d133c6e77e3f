
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <sodium.h>

#include "fuzz_common.h"

/* the store's private layout: this harness checks it from the inside */
#include "ngx_http_session_shm.h"


/*
 * The session store itself: each input is a program of operations on a
 * small zone (so that it fills and evicts): logins with and without an
 * account, requests, account changes and renames, variables, logouts,
 * time passing, expiry, imports, and a batched walk of every kind that
 * goes on between the other operations, a few sessions at a time.  After
 * each operation ngx_http_session_check() walks the whole zone and checks
 * every invariant (chunks, index, queues, lists, counters); a walk must
 * never hand out a session twice (the zone walk: a record place twice)
 * nor one that does not match it.
 */


#define NGX_FUZZ_ZONE_SIZE   (32 * 1024)
#define NGX_FUZZ_TOKENS      200
#define NGX_FUZZ_ACCOUNTS    10
#define NGX_FUZZ_SEEN        4096


typedef struct {
    const uint8_t               *p;
    const uint8_t               *last;
} ngx_fuzz_input_t;


static u_char                    ngx_fuzz_zone_mem[NGX_FUZZ_ZONE_SIZE]
                                     __attribute__((aligned(4096)));
static ngx_shm_zone_t            ngx_fuzz_shm_zone;
static ngx_http_session_zone_t   ngx_fuzz_zone;
static ngx_array_t              *ngx_fuzz_types;
static ngx_time_t                ngx_fuzz_time;
static ngx_cycle_t               ngx_fuzz_cycle;

/* updates that evicted: the fuzzer must reach a full zone */
static ngx_uint_t                ngx_fuzz_evictions;

static ngx_str_t  ngx_fuzz_custom[] = {
    ngx_string("custom1"),
    ngx_string("custom2")
};

/* the last one does not fit its account record's slab slot: a new one */
static char  *ngx_fuzz_names[] = {
    "", "n", "Name",
    ("a-much-longer-account-name-than-the-others-have-"
     "it-takes-another-slab-size-class-0123456789")
};

static char  *ngx_fuzz_var_names[] = { "host", "role", "consoleType" };


static ngx_uint_t
ngx_fuzz_byte(ngx_fuzz_input_t *in)
{
    return (in->p < in->last) ? *in->p++ : 0;
}


static void
ngx_fuzz_token(ngx_uint_t n, ngx_str_t *token, u_char *buf)
{
    token->data = buf;
    token->len = ngx_sprintf(buf, "token-%ui", n % NGX_FUZZ_TOKENS) - buf;
}


static void
ngx_fuzz_account(ngx_uint_t n, ngx_str_t *id, u_char *buf)
{
    n %= NGX_FUZZ_ACCOUNTS + 1;

    if (n == 0) {
        ngx_str_null(id);
        return;
    }

    id->data = buf;
    id->len = ngx_sprintf(buf, "account-%ui", n) - buf;
}


static void
ngx_fuzz_zone_init(void)
{
    ngx_slab_pool_t  *sp;

    ngx_memzero(ngx_fuzz_zone_mem, sizeof(ngx_fuzz_zone_mem));
    ngx_memzero(&ngx_fuzz_shm_zone, sizeof(ngx_shm_zone_t));
    ngx_memzero(&ngx_fuzz_zone, sizeof(ngx_http_session_zone_t));

    sp = (ngx_slab_pool_t *) ngx_fuzz_zone_mem;
    sp->end = ngx_fuzz_zone_mem + NGX_FUZZ_ZONE_SIZE;
    sp->min_shift = 3;
    sp->addr = ngx_fuzz_zone_mem;

    if (ngx_shmtx_create(&sp->mutex, &sp->lock, NULL) != NGX_OK) {
        abort();
    }

    ngx_slab_init(sp);

    ngx_str_set(&ngx_fuzz_shm_zone.shm.name, "fuzz");
    ngx_fuzz_shm_zone.shm.addr = ngx_fuzz_zone_mem;
    ngx_fuzz_shm_zone.shm.size = NGX_FUZZ_ZONE_SIZE;
    ngx_fuzz_shm_zone.shm.log = ngx_fuzz_log;
    ngx_fuzz_shm_zone.data = &ngx_fuzz_zone;

    ngx_fuzz_zone.name = ngx_fuzz_shm_zone.shm.name;
    ngx_fuzz_zone.shm_zone = &ngx_fuzz_shm_zone;
    ngx_fuzz_zone.timeout = 10000;
    ngx_fuzz_zone.keep_closed = 5000;
    ngx_fuzz_zone.types = ngx_fuzz_types;

    if (ngx_http_session_zone_init(&ngx_fuzz_shm_zone, NULL) != NGX_OK) {
        abort();
    }

    /* the same digests for the same input, run after run */
    ngx_memzero(ngx_fuzz_zone.sh->key, NGX_HTTP_SESSION_KEY_LEN);
}


static void
ngx_fuzz_check(const char *op)
{
    const char  *err;

    if (getenv("STORE_TRACE")) {
        fprintf(stderr, "op: %s, sessions %u closed %u, %u evictions\n", op,
                (unsigned) ngx_fuzz_zone.sh->sessions,
                (unsigned) ngx_fuzz_zone.sh->closed_sessions,
                (unsigned) ngx_fuzz_evictions);
    }

    err = ngx_http_session_check(&ngx_fuzz_zone);

    if (err) {
        fprintf(stderr, "store invariant broken after %s: %s\n", op, err);

        if (getenv("STORE_TRACE")) {
            ngx_http_session_link_t  *q;
            ngx_http_session_node_t  *sn;

            for (q = ngx_http_session_queue_head(&ngx_fuzz_zone.sh->lru);
                 q != &ngx_fuzz_zone.sh->lru;
                 q = ngx_http_session_queue_next(q))
            {
                sn = ngx_http_session_queue_node(q);
                fprintf(stderr, "  lru: last %lld created %lld seq %llu\n",
                        (long long) sn->last, (long long) sn->created,
                        (unsigned long long) sn->seq);
            }
        }

        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t                     now;
    u_char                      tbuf[32], abuf[32], vbuf[3][64];
    u_char                    (*seen)[NGX_HTTP_SESSION_DIGEST_LEN];
    ngx_str_t                   token;
    uint64_t                    last_at;
    ngx_uint_t                  op, i, j, k, nseen, walking;
    ngx_pool_t                 *pool;
    ngx_fuzz_input_t            in;
    ngx_http_session_ctx_t      ctx;
    ngx_http_session_batch_t    batch;
    ngx_http_session_cursor_t   cur;
    ngx_http_session_update_t   up;
    ngx_http_session_import_t   im;
    ngx_http_session_record_t  *rec;
    ngx_str_t                  *name;

    static ngx_uint_t  initialized;

    if (!initialized) {
        if (sodium_init() < 0) {
            abort();
        }

        ngx_slab_sizes_init();

        /* the lock's debug log, and no zones of an old cycle to copy */
        ngx_fuzz_cycle.log = ngx_fuzz_log;
        ngx_cycle = &ngx_fuzz_cycle;

        pool = ngx_create_pool(1024, ngx_fuzz_log);
        if (pool == NULL) {
            abort();
        }

        ngx_fuzz_types = ngx_array_create(pool, 2, sizeof(ngx_str_t));
        if (ngx_fuzz_types == NULL) {
            abort();
        }

        for (i = 0; i < 2; i++) {
            name = ngx_array_push(ngx_fuzz_types);
            if (name == NULL) {
                abort();
            }

            *name = ngx_fuzz_custom[i];
        }

        initialized = 1;
    }

    /* a clock of its own: time passes only when the input says so */

    ngx_fuzz_time.sec = 1800000000;
    ngx_fuzz_time.msec = 0;
    ngx_cached_time = &ngx_fuzz_time;

    ngx_fuzz_zone_init();

    pool = ngx_fuzz_pool();

    seen = ngx_palloc(pool, NGX_FUZZ_SEEN * NGX_HTTP_SESSION_DIGEST_LEN);
    if (seen == NULL) {
        abort();
    }

    ngx_memzero(&cur, sizeof(ngx_http_session_cursor_t));
    ngx_memzero(&batch, sizeof(ngx_http_session_batch_t));
    walking = 0;
    last_at = 0;
    nseen = 0;

    in.p = data;
    in.last = data + size;

    while (in.p < in.last) {

        op = ngx_fuzz_byte(&in) % 11;

        if (op == 10) {
            /* a burst of logins, so that short inputs fill the zone too */

            k = ngx_fuzz_byte(&in) % 64 + 1;
            i = ngx_fuzz_byte(&in);
            j = ngx_fuzz_byte(&in);

            while (k--) {
                ngx_memzero(&up, sizeof(ngx_http_session_update_t));
                ngx_memzero(&ctx, sizeof(ngx_http_session_ctx_t));
                ctx.zone = &ngx_fuzz_zone;
                ctx.looked_up = 1;

                ngx_fuzz_token(i++, &token, tbuf);
                up.create = token;
                ngx_http_session_digest(&ngx_fuzz_zone, token.data, token.len,
                                        up.create_digest);

                up.type = ngx_fuzz_zone.type_map[j % 8];
                ngx_fuzz_account(i + j, &up.id, abuf);

                if (up.id.len) {
                    up.name.data = (u_char *) ngx_fuzz_names[(i ^ j) % 4];
                    up.name.len = ngx_strlen(up.name.data);
                }

                if (j & 1) {
                    up.var_names[0].data = (u_char *) "host";
                    up.var_names[0].len = 4;
                    up.var_values[0].data = vbuf[0];
                    up.var_values[0].len = (i * 7) % 60 + 1;
                    ngx_memset(vbuf[0], 'h', sizeof(vbuf[0]));
                    up.nvars = 1;
                }

                (void) ngx_http_session_update(&ngx_fuzz_zone, &up, &ctx);

                if (up.evicted) {
                    ngx_fuzz_evictions++;
                }
            }

            ngx_fuzz_check("a burst of logins");
            continue;
        }

        switch (op) {

        case 0: /* a login: a new token, maybe an account, a type, vars */
        case 1: /* a request with a token; what it changes, if anything */

            ngx_memzero(&up, sizeof(ngx_http_session_update_t));
            ngx_memzero(&ctx, sizeof(ngx_http_session_ctx_t));
            ctx.zone = &ngx_fuzz_zone;

            ngx_fuzz_token(ngx_fuzz_byte(&in), &token, tbuf);

            if (op == 0) {
                up.create = token;
                ngx_http_session_digest(&ngx_fuzz_zone, token.data, token.len,
                                        up.create_digest);
                ctx.looked_up = 1;

            } else {
                up.token = token;
                ngx_http_session_digest(&ngx_fuzz_zone, token.data, token.len,
                                        ctx.digest);
                up.end = (ngx_fuzz_byte(&in) % 8 == 0);
            }

            up.type = ngx_fuzz_zone.type_map[ngx_fuzz_byte(&in) % 8];

            ngx_fuzz_account(ngx_fuzz_byte(&in), &up.id, abuf);

            if (up.id.len) {
                up.name.data = (u_char *)
                               ngx_fuzz_names[ngx_fuzz_byte(&in) % 4];
                up.name.len = ngx_strlen(up.name.data);
            }

            k = ngx_fuzz_byte(&in) % 4;

            for (j = 0; j < k && j < 3; j++) {
                i = ngx_fuzz_byte(&in);
                up.var_names[up.nvars].data = (u_char *)
                                              ngx_fuzz_var_names[i % 3];
                up.var_names[up.nvars].len =
                                   ngx_strlen(up.var_names[up.nvars].data);
                up.var_values[up.nvars].data = vbuf[j];
                up.var_values[up.nvars].len = (i / 3) % 60 + 1;
                ngx_memset(vbuf[j], 'a' + j, sizeof(vbuf[j]));
                up.nvars++;
            }

            up.addr_len = 4;
            ngx_memcpy(up.addr, "\x7f\x00\x00\x01", 4);

            (void) ngx_http_session_update(&ngx_fuzz_zone, &up, &ctx);

            if (up.evicted) {
                ngx_fuzz_evictions++;
            }

            ngx_fuzz_check(op == 0 ? "a login" : "a request");
            break;

        case 2: /* a lookup, as a variable makes it */

            ngx_memzero(&ctx, sizeof(ngx_http_session_ctx_t));
            ctx.zone = &ngx_fuzz_zone;

            ngx_fuzz_token(ngx_fuzz_byte(&in), &token, tbuf);
            ngx_http_session_digest(&ngx_fuzz_zone, token.data, token.len,
                                    ctx.digest);

            (void) ngx_http_session_lookup(&ngx_fuzz_zone, ctx.digest,
                                           ngx_fuzz_byte(&in) & 1,
                                           (u_char *) "\x7f\x00\x00\x01", 4,
                                           &ctx);

            ngx_fuzz_check("a lookup");
            break;

        case 3: /* time passes, never back */

            now = (int64_t) ngx_fuzz_time.sec * 1000 + ngx_fuzz_time.msec
                  + (int64_t) (ngx_fuzz_byte(&in) % 16) * 1000 + 337;
            ngx_fuzz_time.sec = now / 1000;
            ngx_fuzz_time.msec = now % 1000;
            break;

        case 4: /* the sweeping timer */

            now = ngx_http_session_now();

            ngx_http_session_lock(&ngx_fuzz_zone);
            (void) ngx_http_session_expire(&ngx_fuzz_zone,
                                           ngx_fuzz_byte(&in) % 16, now);
            ngx_http_session_unlock(&ngx_fuzz_zone);

            ngx_fuzz_check("expiry");
            break;

        case 5: /* a session from a state file or a resized zone */

            ngx_memzero(&im, sizeof(ngx_http_session_import_t));

            ngx_fuzz_token(ngx_fuzz_byte(&in), &token, tbuf);
            ngx_http_session_digest(&ngx_fuzz_zone, token.data, token.len,
                                    im.digest);

            i = ngx_fuzz_byte(&in);
            im.type.data = (i & 1) ? ngx_fuzz_custom[0].data
                                   : (u_char *) "imap";
            im.type.len = ngx_strlen(im.type.data);

            ngx_fuzz_account(ngx_fuzz_byte(&in), &im.id, abuf);

            if (im.id.len) {
                im.name.data = (u_char *) ngx_fuzz_names[i % 4];
                im.name.len = ngx_strlen(im.name.data);
            }

            now = ngx_http_session_now();
            im.created = now - (int64_t) (ngx_fuzz_byte(&in) % 20) * 1000;
            im.last = im.created + (int64_t) (i % 7) * 500;
            im.logout = (i % 5 == 0) ? im.last : 0;
            im.requests = 1;

            (void) ngx_http_session_import(&ngx_fuzz_zone, &im);

            /* as loading does after its imports: the queues sorted */
            ngx_http_session_import_done(&ngx_fuzz_zone);

            ngx_fuzz_check("an import");
            break;

        default: /* a walk goes on, one small batch */

            if (!walking) {
                ngx_memzero(&cur, sizeof(ngx_http_session_cursor_t));

                i = ngx_fuzz_byte(&in);
                cur.walk = i % 4 + 1;
                cur.closed = (i >> 2) & 1;
                cur.type = (i >> 3) % (ngx_fuzz_zone.sh->ntypes + 1);

                if (cur.walk != NGX_HTTP_SESSION_WALK_TREE && cur.type) {
                    cur.type--;
                }

                ngx_fuzz_account(ngx_fuzz_byte(&in) % NGX_FUZZ_ACCOUNTS + 1,
                                 &cur.id, abuf);
                cur.id.data = ngx_pstrdup(pool, &cur.id);
                if (cur.id.data == NULL) {
                    abort();
                }

                if (ngx_http_session_batch_init(pool, &batch,
                                                ngx_fuzz_byte(&in) % 8 + 1)
                    != NGX_OK)
                {
                    abort();
                }

                walking = 1;
                nseen = 0;
                last_at = 0;
            }

            if (ngx_http_session_read(&ngx_fuzz_zone, &cur, &batch)
                != NGX_OK)
            {
                abort();
            }

            for (i = 0; i < batch.nrecords; i++) {
                rec = &batch.records[i];

                /*
                 * The zone walk: records never move, so places that
                 * only grow hand out a living session once; a session
                 * ended and created again under its token meanwhile
                 * is another record, and may come again.
                 */

                if (cur.walk == NGX_HTTP_SESSION_WALK_TREE) {
                    ngx_fuzz_assert(rec->at > last_at);
                    ngx_fuzz_assert(cur.closed || !rec->ended);
                    ngx_fuzz_assert(cur.type == 0
                                    || rec->type == cur.type - 1);
                    last_at = rec->at;
                    continue;
                }

                for (j = 0; j < nseen; j++) {
                    ngx_fuzz_assert(ngx_memcmp(seen[j], rec->digest,
                                               NGX_HTTP_SESSION_DIGEST_LEN)
                                    != 0);
                }

                if (nseen < NGX_FUZZ_SEEN) {
                    ngx_memcpy(seen[nseen++], rec->digest,
                               NGX_HTTP_SESSION_DIGEST_LEN);
                }

                ngx_fuzz_assert(cur.closed || !rec->ended);

                switch (cur.walk) {

                case NGX_HTTP_SESSION_WALK_TYPE:
                    ngx_fuzz_assert(rec->type == cur.type
                                    && rec->id.len);
                    break;

                case NGX_HTTP_SESSION_WALK_ACCOUNT:
                    ngx_fuzz_assert(rec->id.len == cur.id.len
                                    && ngx_memcmp(rec->id.data, cur.id.data,
                                                  cur.id.len)
                                       == 0);
                    break;

                default: /* WALK_ANONYMOUS */
                    ngx_fuzz_assert(rec->type == cur.type
                                    && rec->id.len == 0);
                }
            }

            if (cur.done) {
                walking = 0;
            }

            ngx_fuzz_check("a batch");
            break;
        }
    }

    ngx_destroy_pool(pool);

    return 0;
}
