
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "fuzz_common.h"
#include "ngx_http_session_engine.h"

/* a field name and its value for each field a record can have */
#define FUZZ_FLEET_ARGS  (2 * NGX_HTTP_SESSION_FLEET_FIELDS_MAX)


/*
 * Whatever an engine may send: the bytes go through hiredis's reply
 * reader with the module's bounded reply objects, as on a connection,
 * and every reply through each decoder of fleet_codec.c (a record, a
 * stream read of either stream, a SCAN page, a stream's information,
 * the touches of an entry).  What a decoder
 * accepts must hold its bounds, and encode again to the same thing: a
 * record through its field list, touches through their text.
 */


static void ngx_fuzz_record(redisReply *reply, ngx_pool_t *pool);
static void ngx_fuzz_touches(ngx_str_t *text, ngx_pool_t *pool);
static void ngx_fuzz_same_record(ngx_http_session_import_t *a,
    ngx_http_session_import_t *b);
static void ngx_fuzz_same_str(ngx_str_t *a, ngx_str_t *b);


static u_char  ngx_fuzz_digest[NGX_HTTP_SESSION_DIGEST_LEN] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                           bytes, i, s;
    uint64_t                         cursor;
    ngx_uint_t                       n, replies;
    ngx_pool_t                      *pool;
    redisReply                      *reply, *keys;
    const char                      *error;
    redisReader                     *reader;
    u_char                           digest[NGX_HTTP_SESSION_DIGEST_LEN];
    ngx_str_t                        key, prefix, streams[2];
    ngx_http_session_fleet_entry_t   entries[64];
    ngx_http_session_fleet_info_t    info;

    pool = ngx_fuzz_pool();

    reader = redisReaderCreateWithFunctions(
                                      &ngx_http_session_fleet_reply_functions);
    ngx_fuzz_assert(reader != NULL);

    bytes = 0;
    reader->privdata = &bytes;

    ngx_fuzz_assert(redisReaderFeed(reader, (const char *) data, size)
                    == REDIS_OK);

    ngx_str_set(&prefix, "session:");
    ngx_str_set(&streams[0], "session:log");
    ngx_str_set(&streams[1], "session:touch");

    for (replies = 0; replies < 64; replies++) {

        reply = NULL;

        if (redisReaderGetReply(reader, (void **) &reply) != REDIS_OK) {
            ngx_fuzz_assert(reader->err != 0);
            break;
        }

        if (reply == NULL) {
            break;
        }

        /* the bounds held while the reply was built */
        ngx_fuzz_assert(bytes <= NGX_HTTP_SESSION_FLEET_REPLY_MAX);
        bytes = 0;

        ngx_fuzz_record(reply, pool);

        for (s = 0; s < 2; s++) {
            error = NULL;

            if (ngx_http_session_fleet_decode_entries(reply, &streams[s],
                                                      entries, 64, &n,
                                                      &error)
                != NGX_OK)
            {
                ngx_fuzz_assert(error != NULL);
                continue;
            }

            ngx_fuzz_assert(n <= 64);

            for (i = 0; i < n; i++) {
                if (entries[i].kind == NGX_HTTP_SESSION_FLEET_RECORD) {
                    ngx_fuzz_record(entries[i].fields, pool);

                } else if (entries[i].kind == NGX_HTTP_SESSION_FLEET_TOUCH) {
                    ngx_fuzz_touches(&entries[i].touches, pool);
                }
            }
        }

        error = NULL;

        if (ngx_http_session_fleet_decode_scan(reply, &cursor, &keys, &error)
            == NGX_OK)
        {
            for (i = 0; i < keys->elements; i++) {
                key.data = (u_char *) keys->element[i]->str;
                key.len = keys->element[i]->len;

                (void) ngx_http_session_fleet_key_sid(&key, &prefix, digest);
            }

        } else {
            ngx_fuzz_assert(error != NULL);
        }

        error = NULL;

        if (ngx_http_session_fleet_decode_last(reply, &entries[0], &error)
            != NGX_OK)
        {
            ngx_fuzz_assert(error != NULL);
        }

        error = NULL;

        if (ngx_http_session_fleet_decode_info(reply, &info, &error)
            != NGX_OK)
        {
            ngx_fuzz_assert(error != NULL);
        }

        if (reply->type == REDIS_REPLY_STRING) {
            key.data = (u_char *) reply->str;
            key.len = reply->len;
            ngx_fuzz_touches(&key, pool);
        }

        freeReplyObject(reply);
    }

    redisReaderFree(reader);
    ngx_destroy_pool(pool);

    return 0;
}


/* a record decoded, encoded, and decoded again to the same record */

static void
ngx_fuzz_record(redisReply *reply, ngx_pool_t *pool)
{
    size_t                            i;
    ngx_int_t                         rc;
    ngx_uint_t                        n;
    const char                       *error;
    redisReply                        list, *elements, *strings;
    ngx_http_session_fleet_record_t  *rec, *again;
    const char                       *argv[FUZZ_FLEET_ARGS];
    size_t                            argvlen[FUZZ_FLEET_ARGS];
    u_char                            buf[512];

    rec = ngx_palloc(pool, sizeof(ngx_http_session_fleet_record_t));
    again = ngx_palloc(pool, sizeof(ngx_http_session_fleet_record_t));
    ngx_fuzz_assert(rec != NULL && again != NULL);

    error = NULL;

    rc = ngx_http_session_fleet_decode_record(reply, ngx_fuzz_digest, rec,
                                              &error);

    if (rc == NGX_ERROR) {
        ngx_fuzz_assert(error != NULL && error[0] != '\0');
        return;
    }

    if (rc == NGX_DECLINED) {
        return;
    }

    ngx_fuzz_assert(rc == NGX_OK);
    ngx_fuzz_assert(rec->im.type.len >= 1
                    && rec->im.type.len <= NGX_HTTP_SESSION_TYPE_LEN);
    ngx_fuzz_assert(rec->im.id.len <= NGX_HTTP_SESSION_ID_MAX);
    ngx_fuzz_assert(rec->im.name.len <= NGX_HTTP_SESSION_NAME_MAX);
    ngx_fuzz_assert(rec->im.id.len || rec->im.name.len == 0);
    ngx_fuzz_assert(rec->im.vars.len
                    <= NGX_HTTP_SESSION_VARS_SIZE - sizeof(uint16_t));
    ngx_fuzz_assert(rec->im.addr_len == 0 || rec->im.addr_len == 4
                    || rec->im.addr_len == 16);
    ngx_fuzz_assert(rec->im.created <= rec->im.last);
    ngx_fuzz_assert(rec->im.created >= 0 && rec->im.logout >= 0);

    n = ngx_http_session_fleet_encode_record(&rec->im, buf, sizeof(buf),
                                             argv, argvlen,
                                             FUZZ_FLEET_ARGS);
    ngx_fuzz_assert(n > 0 && n % 2 == 0);

    /* the arguments as the field list HGETALL would answer */

    elements = ngx_pcalloc(pool, n * sizeof(redisReply *));
    strings = ngx_pcalloc(pool, n * sizeof(redisReply));
    ngx_fuzz_assert(elements != NULL && strings != NULL);

    for (i = 0; i < n; i++) {
        strings[i].type = REDIS_REPLY_STRING;
        strings[i].str = (char *) argv[i];
        strings[i].len = argvlen[i];
        ((redisReply **) elements)[i] = &strings[i];
    }

    ngx_memzero(&list, sizeof(redisReply));
    list.type = REDIS_REPLY_ARRAY;
    list.elements = n;
    list.element = (redisReply **) elements;

    error = NULL;

    rc = ngx_http_session_fleet_decode_record(&list, ngx_fuzz_digest, again,
                                              &error);
    if (rc != NGX_OK) {
        ngx_fuzz_fail(error ? error : "no error", __FILE__, __LINE__);
    }

    ngx_fuzz_same_record(&rec->im, &again->im);
}


static void
ngx_fuzz_same_record(ngx_http_session_import_t *a,
    ngx_http_session_import_t *b)
{
    ngx_fuzz_assert(ngx_memcmp(a->digest, b->digest,
                               NGX_HTTP_SESSION_DIGEST_LEN) == 0);
    ngx_fuzz_same_str(&a->type, &b->type);
    ngx_fuzz_same_str(&a->id, &b->id);
    ngx_fuzz_same_str(&a->name, &b->name);
    ngx_fuzz_same_str(&a->vars, &b->vars);
    ngx_fuzz_assert(a->created == b->created && a->last == b->last
                    && a->logout == b->logout
                    && a->requests == b->requests);
    ngx_fuzz_assert(a->addr_len == b->addr_len
                    && ngx_memcmp(a->addr, b->addr, a->addr_len) == 0);
}


/* an empty string may have no data at all */

static void
ngx_fuzz_same_str(ngx_str_t *a, ngx_str_t *b)
{
    ngx_fuzz_assert(a->len == b->len);

    if (a->len) {
        ngx_fuzz_assert(ngx_memcmp(a->data, b->data, a->len) == 0);
    }
}


/* touches decoded, written again, decoded again to the same touches */

static void
ngx_fuzz_touches(ngx_str_t *text, ngx_pool_t *pool)
{
    u_char                          *p, *buf;
    ngx_str_t                        out;
    ngx_uint_t                       n, m, i;
    ngx_http_session_touch_t  *t, *u;

    t = ngx_palloc(pool, NGX_HTTP_SESSION_FLEET_TOUCHES
                         * sizeof(ngx_http_session_touch_t));
    u = ngx_palloc(pool, NGX_HTTP_SESSION_FLEET_TOUCHES
                         * sizeof(ngx_http_session_touch_t));
    buf = ngx_palloc(pool, NGX_HTTP_SESSION_FLEET_TOUCHES
                           * NGX_HTTP_SESSION_FLEET_TOUCH_LEN);
    ngx_fuzz_assert(t != NULL && u != NULL && buf != NULL);

    if (ngx_http_session_fleet_decode_touches(text, t,
                                              NGX_HTTP_SESSION_FLEET_TOUCHES,
                                              &n)
        != NGX_OK)
    {
        return;
    }

    ngx_fuzz_assert(n <= NGX_HTTP_SESSION_FLEET_TOUCHES);

    p = buf;

    for (i = 0; i < n; i++) {
        ngx_fuzz_assert(t[i].addr_len == 0 || t[i].addr_len == 4
                        || t[i].addr_len == 16);
        p = ngx_http_session_fleet_encode_touch(p, &t[i]);
        ngx_fuzz_assert((size_t) (p - buf)
                        <= (i + 1) * NGX_HTTP_SESSION_FLEET_TOUCH_LEN);
    }

    out.data = buf;
    out.len = p - buf;

    ngx_fuzz_assert(ngx_http_session_fleet_decode_touches(&out, u,
                                             NGX_HTTP_SESSION_FLEET_TOUCHES,
                                             &m)
                    == NGX_OK);
    ngx_fuzz_assert(m == n);

    for (i = 0; i < n; i++) {
        ngx_fuzz_assert(ngx_memcmp(t[i].digest, u[i].digest,
                                   NGX_HTTP_SESSION_DIGEST_LEN) == 0);
        ngx_fuzz_assert(t[i].last == u[i].last && t[i].delta == u[i].delta
                        && t[i].addr_len == u[i].addr_len
                        && ngx_memcmp(t[i].addr, u[i].addr, t[i].addr_len)
                           == 0);
    }
}
