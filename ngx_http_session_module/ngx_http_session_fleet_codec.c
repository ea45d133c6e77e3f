
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_engine.h"


/*
 * The engine's data, both ways: a session record as the fields of a
 * hash (and of a stream entry), last-access touches as lines of text,
 * stream entries and SCAN pages out of replies.  Everything the engine
 * sends is untrusted: types, counts, lengths and numbers are checked
 * before use, and reply objects are bounded while hiredis builds them.
 * Calls util.c and hiredis's reply objects only; no zone, no events, so
 * fuzz/fuzz_fleet.c drives it directly.
 *
 * A record in the engine, one hash per session, key PREFIX "s:" SID:
 *
 *   t     type name          c   created, ms      ip  client address
 *   a     account id         l   last access, ms  r   requests
 *   n     account name       o   logout, ms (0)   v:NAME  a variable
 */


static void *ngx_http_session_fleet_string(const redisReadTask *task,
    char *str, size_t len);
static void *ngx_http_session_fleet_array(const redisReadTask *task,
    int elements);
static void *ngx_http_session_fleet_int(const redisReadTask *task,
    long long value);
static void *ngx_http_session_fleet_nil(const redisReadTask *task);
static redisReply *ngx_http_session_fleet_object(const redisReadTask *task,
    size_t size);
static ngx_int_t ngx_http_session_fleet_number(u_char *p, size_t len,
    uint64_t max, uint64_t *n);
static ngx_int_t ngx_http_session_fleet_name_ok(u_char *p, size_t len,
    size_t max, ngx_uint_t dots);
static ngx_int_t ngx_http_session_fleet_decode_entry(redisReply *e,
    ngx_http_session_fleet_entry_t *entry, const char **error);
static ngx_int_t ngx_http_session_fleet_var(
    ngx_http_session_fleet_record_t *rec, ngx_str_t *name, ngx_str_t *value,
    u_char **vars, const char **error);
static ngx_int_t ngx_http_session_fleet_field(
    ngx_http_session_fleet_record_t *rec, ngx_str_t *name, ngx_str_t *value,
    ngx_uint_t *seen, u_char **vars, const char **error);


/* the last millisecond of the year 9999, as the state file has it */
#define NGX_HTTP_SESSION_FLEET_TIME_MAX   253402300799999LL

#define NGX_HTTP_SESSION_FLEET_SEEN_TYPE     0x01
#define NGX_HTTP_SESSION_FLEET_SEEN_ID       0x02
#define NGX_HTTP_SESSION_FLEET_SEEN_NAME     0x04
#define NGX_HTTP_SESSION_FLEET_SEEN_CREATED  0x08
#define NGX_HTTP_SESSION_FLEET_SEEN_LAST     0x10
#define NGX_HTTP_SESSION_FLEET_SEEN_LOGOUT   0x20
#define NGX_HTTP_SESSION_FLEET_SEEN_ADDR     0x40
#define NGX_HTTP_SESSION_FLEET_SEEN_REQUESTS 0x80


/*
 * hiredis's reply objects, built by these instead of its own: the same
 * redisReply structures, so hiredis's freeReplyObject() frees them, but
 * each string, each array and the whole reply bounded.  A NULL result
 * is an "out of memory" error to hiredis, which drops the connection.
 * The reader's privdata, when set, counts the reply's bytes.
 */

redisReplyObjectFunctions  ngx_http_session_fleet_reply_functions = {
    ngx_http_session_fleet_string,
    ngx_http_session_fleet_array,
    ngx_http_session_fleet_int,
    ngx_http_session_fleet_nil,
    freeReplyObject
};


static redisReply *
ngx_http_session_fleet_object(const redisReadTask *task, size_t size)
{
    size_t      *bytes;
    redisReply  *r, *parent;

    bytes = task->privdata;

    if (bytes) {
        if (*bytes + size + sizeof(redisReply)
            > NGX_HTTP_SESSION_FLEET_REPLY_MAX)
        {
            return NULL;
        }

        *bytes += size + sizeof(redisReply);
    }

    r = calloc(1, sizeof(redisReply));
    if (r == NULL) {
        return NULL;
    }

    r->type = task->type;

    if (task->parent) {
        parent = task->parent->obj;

        if (parent == NULL || parent->type != REDIS_REPLY_ARRAY
            || task->idx < 0 || (size_t) task->idx >= parent->elements)
        {
            free(r);
            return NULL;
        }

        parent->element[task->idx] = r;
    }

    return r;
}


static void *
ngx_http_session_fleet_string(const redisReadTask *task, char *str,
    size_t len)
{
    char        *buf;
    redisReply  *r;

    if (len > NGX_HTTP_SESSION_FLEET_STRING_MAX) {
        return NULL;
    }

    buf = malloc(len + 1);
    if (buf == NULL) {
        return NULL;
    }

    r = ngx_http_session_fleet_object(task, len + 1);
    if (r == NULL) {
        free(buf);
        return NULL;
    }

    ngx_memcpy(buf, str, len);
    buf[len] = '\0';

    r->str = buf;
    r->len = len;

    return r;
}


static void *
ngx_http_session_fleet_array(const redisReadTask *task, int elements)
{
    redisReply  *r;

    if (elements < 0 || elements > NGX_HTTP_SESSION_FLEET_ELEMENTS_MAX) {
        return NULL;
    }

    r = ngx_http_session_fleet_object(task,
                                      elements * sizeof(redisReply *));
    if (r == NULL) {
        return NULL;
    }

    if (elements > 0) {
        r->element = calloc(elements, sizeof(redisReply *));
        if (r->element == NULL) {
            /* the parent's slot is cleared so the reply frees once */
            if (task->parent) {
                ((redisReply *) task->parent->obj)->element[task->idx] =
                                                                       NULL;
            }

            free(r);
            return NULL;
        }
    }

    r->elements = elements;

    return r;
}


static void *
ngx_http_session_fleet_int(const redisReadTask *task, long long value)
{
    redisReply  *r;

    r = ngx_http_session_fleet_object(task, 0);
    if (r == NULL) {
        return NULL;
    }

    r->integer = value;

    return r;
}


/* "$-1" and "*-1" both: the task has the type of what is missing */

static void *
ngx_http_session_fleet_nil(const redisReadTask *task)
{
    redisReply  *r;

    r = ngx_http_session_fleet_object(task, 0);
    if (r == NULL) {
        return NULL;
    }

    r->type = REDIS_REPLY_NIL;

    return r;
}


/* "v:NAME" VALUE: a variable, appended to the record's block */

static ngx_int_t
ngx_http_session_fleet_var(ngx_http_session_fleet_record_t *rec,
    ngx_str_t *name, ngx_str_t *value, u_char **vars, const char **error)
{
    size_t     len;
    ngx_str_t  vn, dup;

    vn.data = name->data + 2;
    vn.len = name->len - 2;

    if (!ngx_http_session_fleet_name_ok(vn.data, vn.len,
                                        NGX_HTTP_SESSION_VAR_NAME_MAX, 0)
        || value->len > NGX_HTTP_SESSION_VAR_VALUE_MAX)
    {
        *error = "a bad variable";
        return NGX_ERROR;
    }

    if (ngx_http_session_var_get(rec->vars, *vars - rec->vars, &vn, &dup)
        == NGX_OK)
    {
        *error = "a variable twice";
        return NGX_ERROR;
    }

    len = 2 + vn.len + value->len;

    if (rec->im.vars.len == NGX_HTTP_SESSION_VARS_MAX
        || (size_t) (*vars - rec->vars) + len
           > NGX_HTTP_SESSION_VARS_SIZE - sizeof(uint16_t))
    {
        *error = "too many variables";
        return NGX_ERROR;
    }

    /* the count, until the end: the block's length is set then */
    rec->im.vars.len++;

    *(*vars)++ = (u_char) vn.len;
    *(*vars)++ = (u_char) value->len;
    *vars = ngx_cpymem(*vars, vn.data, vn.len);
    *vars = ngx_cpymem(*vars, value->data, value->len);

    return NGX_OK;
}


/*
 * A record out of a field list: an HGETALL reply, or a stream entry's
 * fields (whose "node", "kind" and "sid" are not the record's and are
 * skipped with any other unknown field).  NGX_DECLINED: an empty list,
 * no such session; NGX_ERROR: "error" says what is wrong.  The record's
 * strings point into the reply.
 */

ngx_int_t
ngx_http_session_fleet_decode_record(redisReply *reply, u_char *digest,
    ngx_http_session_fleet_record_t *rec, const char **error)
{
    u_char      *vars;
    size_t       i;
    ngx_str_t    name, value;
    ngx_uint_t   seen;
    redisReply  *f, *v;

    if (reply->type != REDIS_REPLY_ARRAY) {
        *error = (reply->type == REDIS_REPLY_ERROR)
                 ? "an error instead of a record" : "not a field list";
        return NGX_ERROR;
    }

    if (reply->elements == 0) {
        return NGX_DECLINED;
    }

    if (reply->elements % 2
        || reply->elements > 2 * NGX_HTTP_SESSION_FLEET_FIELDS_MAX)
    {
        *error = "a bad number of fields";
        return NGX_ERROR;
    }

    ngx_memzero(&rec->im, sizeof(ngx_http_session_import_t));
    ngx_memcpy(rec->digest, digest, NGX_HTTP_SESSION_DIGEST_LEN);
    ngx_memcpy(rec->im.digest, digest, NGX_HTTP_SESSION_DIGEST_LEN);

    seen = 0;
    vars = rec->vars;

    for (i = 0; i < reply->elements; i += 2) {
        f = reply->element[i];
        v = reply->element[i + 1];

        if (f == NULL || v == NULL
            || f->type != REDIS_REPLY_STRING
            || v->type != REDIS_REPLY_STRING)
        {
            *error = "a field that is not a string";
            return NGX_ERROR;
        }

        name.data = (u_char *) f->str;
        name.len = f->len;
        value.data = (u_char *) v->str;
        value.len = v->len;

        if (ngx_http_session_fleet_field(rec, &name, &value, &seen, &vars,
                                         error)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if ((seen & (NGX_HTTP_SESSION_FLEET_SEEN_TYPE
                 |NGX_HTTP_SESSION_FLEET_SEEN_CREATED
                 |NGX_HTTP_SESSION_FLEET_SEEN_LAST))
        != (NGX_HTTP_SESSION_FLEET_SEEN_TYPE
            |NGX_HTTP_SESSION_FLEET_SEEN_CREATED
            |NGX_HTTP_SESSION_FLEET_SEEN_LAST))
    {
        *error = "no type, created or last access";
        return NGX_ERROR;
    }

    if (rec->im.id.len == 0) {
        rec->im.name.len = 0;
    }

    if (rec->im.created > rec->im.last) {
        rec->im.created = rec->im.last;
    }

    rec->im.vars.data = rec->vars;
    rec->im.vars.len = vars - rec->vars;

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_fleet_field(ngx_http_session_fleet_record_t *rec,
    ngx_str_t *name, ngx_str_t *value, ngx_uint_t *seen, u_char **vars,
    const char **error)
{
    size_t       len;
    uint64_t     n;
    ngx_uint_t   bit;

    if (name->len > 2 && name->data[0] == 'v' && name->data[1] == ':') {
        return ngx_http_session_fleet_var(rec, name, value, vars, error);
    }

    if (name->len == 1) {

        switch (name->data[0]) {

        case 't':
            if (!ngx_http_session_fleet_name_ok(value->data, value->len,
                                                NGX_HTTP_SESSION_TYPE_LEN,
                                                1))
            {
                *error = "a bad type";
                return NGX_ERROR;
            }

            rec->im.type = *value;
            bit = NGX_HTTP_SESSION_FLEET_SEEN_TYPE;
            break;

        case 'a':
            if (value->len > NGX_HTTP_SESSION_ID_MAX) {
                *error = "a bad account id";
                return NGX_ERROR;
            }

            rec->im.id = *value;
            bit = NGX_HTTP_SESSION_FLEET_SEEN_ID;
            break;

        case 'n':
            if (value->len > NGX_HTTP_SESSION_NAME_MAX) {
                *error = "a bad account name";
                return NGX_ERROR;
            }

            rec->im.name = *value;
            bit = NGX_HTTP_SESSION_FLEET_SEEN_NAME;
            break;

        case 'c':
        case 'l':
        case 'o':
            if (ngx_http_session_fleet_number(value->data, value->len,
                                              NGX_HTTP_SESSION_FLEET_TIME_MAX,
                                              &n)
                != NGX_OK)
            {
                *error = "a bad time";
                return NGX_ERROR;
            }

            if (name->data[0] == 'c') {
                rec->im.created = (int64_t) n;
                bit = NGX_HTTP_SESSION_FLEET_SEEN_CREATED;

            } else if (name->data[0] == 'l') {
                rec->im.last = (int64_t) n;
                bit = NGX_HTTP_SESSION_FLEET_SEEN_LAST;

            } else {
                rec->im.logout = (int64_t) n;
                bit = NGX_HTTP_SESSION_FLEET_SEEN_LOGOUT;
            }

            break;

        case 'r':
            /* the engine counts past what a session here holds */

            if (ngx_http_session_fleet_number(value->data, value->len,
                                              INT64_MAX, &n)
                != NGX_OK)
            {
                *error = "a bad request count";
                return NGX_ERROR;
            }

            rec->im.requests = (uint32_t) ngx_min(n, NGX_MAX_UINT32_VALUE);
            bit = NGX_HTTP_SESSION_FLEET_SEEN_REQUESTS;
            break;

        default:
            return NGX_OK;
        }

    } else if (name->len == 2 && name->data[0] == 'i'
               && name->data[1] == 'p')
    {
        if (ngx_http_session_addr_parse(value, rec->im.addr, &len)
            != NGX_OK)
        {
            *error = "a bad address";
            return NGX_ERROR;
        }

        rec->im.addr_len = (u_char) len;
        bit = NGX_HTTP_SESSION_FLEET_SEEN_ADDR;

    } else {
        return NGX_OK;
    }

    if (*seen & bit) {
        *error = "a field twice";
        return NGX_ERROR;
    }

    *seen |= bit;

    return NGX_OK;
}


/*
 * A record as field and value arguments, the numbers and the address
 * written into "buf".  Returns the number of arguments, 0 when "buf" or
 * "max" is too small.
 */

ngx_uint_t
ngx_http_session_fleet_encode_record(ngx_http_session_import_t *im,
    u_char *buf, size_t size, const char **argv, size_t *argvlen,
    ngx_uint_t max)
{
    u_char      *p, *last, *v, *vlast, *start;
    ngx_str_t    name, value;
    ngx_uint_t   n;

    p = buf;
    last = buf + size;
    n = 0;

#define ngx_http_session_fleet_arg(s, l)                                     \
    if (n == max) {                                                          \
        return 0;                                                            \
    }                                                                        \
    argv[n] = (const char *) (s);                                            \
    argvlen[n] = (l);                                                        \
    n++

    ngx_http_session_fleet_arg("t", 1);
    ngx_http_session_fleet_arg(im->type.data, im->type.len);

    if (im->id.len) {
        ngx_http_session_fleet_arg("a", 1);
        ngx_http_session_fleet_arg(im->id.data, im->id.len);

        if (im->name.len) {
            ngx_http_session_fleet_arg("n", 1);
            ngx_http_session_fleet_arg(im->name.data, im->name.len);
        }
    }

    if ((size_t) (last - p) < 4 * NGX_INT64_LEN + NGX_SOCKADDR_STRLEN) {
        return 0;
    }

    start = p;
    p = ngx_sprintf(p, "%L", im->created);
    ngx_http_session_fleet_arg("c", 1);
    ngx_http_session_fleet_arg(start, p - start);

    start = p;
    p = ngx_sprintf(p, "%L", im->last);
    ngx_http_session_fleet_arg("l", 1);
    ngx_http_session_fleet_arg(start, p - start);

    start = p;
    p = ngx_sprintf(p, "%L", im->logout);
    ngx_http_session_fleet_arg("o", 1);
    ngx_http_session_fleet_arg(start, p - start);

    start = p;
    p = ngx_sprintf(p, "%uD", im->requests);
    ngx_http_session_fleet_arg("r", 1);
    ngx_http_session_fleet_arg(start, p - start);

    start = p;
    p = ngx_http_session_addr_text(p, im->addr, im->addr_len);
    ngx_http_session_fleet_arg("ip", 2);
    ngx_http_session_fleet_arg(start, p - start);

    v = im->vars.data;
    vlast = v + im->vars.len;

    while ((v = ngx_http_session_var_next(v, vlast, &name, &value))) {

        if ((size_t) (last - p) < 2 + name.len) {
            return 0;
        }

        start = p;
        *p++ = 'v';
        *p++ = ':';
        p = ngx_cpymem(p, name.data, name.len);

        ngx_http_session_fleet_arg(start, p - start);
        ngx_http_session_fleet_arg(value.data, value.len);
    }

#undef ngx_http_session_fleet_arg

    return n;
}


/* a touch: "SID LAST DELTA ADDR\n", ADDR "-" when there is none */

u_char *
ngx_http_session_fleet_encode_touch(u_char *p,
    ngx_http_session_touch_t *t)
{
    p = ngx_http_session_sid(p, t->digest);
    p = ngx_sprintf(p, " %L %uD ", t->last, t->delta);

    if (t->addr_len) {
        p = ngx_http_session_addr_text(p, t->addr, t->addr_len);

    } else {
        *p++ = '-';
    }

    *p++ = '\n';

    return p;
}


ngx_int_t
ngx_http_session_fleet_decode_touches(ngx_str_t *text,
    ngx_http_session_touch_t *touches, ngx_uint_t max, ngx_uint_t *n)
{
    u_char                          *p, *last, *end, *sp;
    size_t                           len;
    uint64_t                         v;
    ngx_str_t                        addr;
    ngx_http_session_touch_t  *t;

    *n = 0;
    p = text->data;
    last = p + text->len;

    while (p < last) {

        if (*n == max) {
            return NGX_ERROR;
        }

        end = ngx_strlchr(p, last, '\n');
        if (end == NULL) {
            return NGX_ERROR;
        }

        t = &touches[*n];

        if (end - p < NGX_HTTP_SESSION_SID_LEN + 1
            || p[NGX_HTTP_SESSION_SID_LEN] != ' '
            || ngx_http_session_parse_sid(p, NGX_HTTP_SESSION_SID_LEN,
                                          t->digest)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        p += NGX_HTTP_SESSION_SID_LEN + 1;

        sp = ngx_strlchr(p, end, ' ');
        if (sp == NULL
            || ngx_http_session_fleet_number(p, sp - p,
                                             NGX_HTTP_SESSION_FLEET_TIME_MAX,
                                             &v)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        t->last = (int64_t) v;
        p = sp + 1;

        sp = ngx_strlchr(p, end, ' ');
        if (sp == NULL
            || ngx_http_session_fleet_number(p, sp - p, NGX_MAX_UINT32_VALUE,
                                             &v)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        t->delta = (uint32_t) v;
        p = sp + 1;

        addr.data = p;
        addr.len = end - p;

        if (addr.len == 1 && *p == '-') {
            t->addr_len = 0;

        } else if (addr.len == 0
                   || ngx_http_session_addr_parse(&addr, t->addr, &len)
                      != NGX_OK)
        {
            return NGX_ERROR;

        } else {
            t->addr_len = (u_char) len;
        }

        (*n)++;
        p = end + 1;
    }

    return NGX_OK;
}


/*
 * XREAD's answer: nil when nothing came, else [[STREAM, [[ID, [FIELD,
 * VALUE, ...]], ...]], ...], one pair per stream that had entries.  The
 * entries of "stream" are decoded (none when it is not there).  An
 * entry's "node", "kind" and "sid" are checked here, its record or
 * touches by the caller.  An entry whose fields are gone (nil) has kind
 * 0: skipped, but its id counts.  An entry of a kind this module does
 * not know is skipped too, so newer nodes may add kinds.
 */

ngx_int_t
ngx_http_session_fleet_decode_entries(redisReply *reply, ngx_str_t *stream,
    ngx_http_session_fleet_entry_t *entries, ngx_uint_t max, ngx_uint_t *n,
    const char **error)
{
    size_t       i;
    redisReply  *pair, *name, *list;

    *n = 0;

    if (reply->type == REDIS_REPLY_NIL) {
        return NGX_OK;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements > 8) {
        *error = "not a stream read";
        return NGX_ERROR;
    }

    list = NULL;

    for (i = 0; i < reply->elements; i++) {
        pair = reply->element[i];

        if (pair == NULL || pair->type != REDIS_REPLY_ARRAY
            || pair->elements != 2
            || pair->element[0] == NULL
            || pair->element[0]->type != REDIS_REPLY_STRING
            || pair->element[1] == NULL
            || pair->element[1]->type != REDIS_REPLY_ARRAY)
        {
            *error = "not a stream read";
            return NGX_ERROR;
        }

        name = pair->element[0];

        if (name->len == stream->len
            && ngx_memcmp(name->str, stream->data, stream->len) == 0)
        {
            list = pair->element[1];
        }
    }

    if (list == NULL) {
        return NGX_OK;
    }

    if (list->elements > max) {
        *error = "more entries than asked for";
        return NGX_ERROR;
    }

    for (i = 0; i < list->elements; i++) {
        if (ngx_http_session_fleet_decode_entry(list->element[i],
                                                &entries[*n], error)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        (*n)++;
    }

    return NGX_OK;
}


/* one entry: [ID, [FIELD, VALUE, ...]], its fields nil when deleted */

static ngx_int_t
ngx_http_session_fleet_decode_entry(redisReply *e,
    ngx_http_session_fleet_entry_t *entry, const char **error)
{
    size_t       j;
    ngx_uint_t   kind, sid;
    redisReply  *id, *fields, *f, *v;

    if (e == NULL || e->type != REDIS_REPLY_ARRAY || e->elements != 2) {
        *error = "a bad stream entry";
        return NGX_ERROR;
    }

    id = e->element[0];
    fields = e->element[1];

    if (id == NULL || id->type != REDIS_REPLY_STRING
        || ngx_http_session_fleet_parse_id((u_char *) id->str, id->len,
                                           &entry->id)
           != NGX_OK)
    {
        *error = "a bad stream entry id";
        return NGX_ERROR;
    }

    entry->kind = 0;
    entry->n = 0;

    /* deleted meanwhile: skipped, but read past */

    if (fields == NULL || fields->type == REDIS_REPLY_NIL) {
        return NGX_OK;
    }

    if (fields->type != REDIS_REPLY_ARRAY || fields->elements % 2
        || fields->elements > 2 * NGX_HTTP_SESSION_FLEET_FIELDS_MAX + 6)
    {
        *error = "a bad stream entry";
        return NGX_ERROR;
    }

    kind = 0;
    sid = 0;
    entry->n = 0;
    entry->fields = fields;
    ngx_str_null(&entry->node);
    ngx_str_null(&entry->touches);

    for (j = 0; j < fields->elements; j += 2) {
        f = fields->element[j];
        v = fields->element[j + 1];

        if (f == NULL || v == NULL || f->type != REDIS_REPLY_STRING
            || v->type != REDIS_REPLY_STRING)
        {
            *error = "a bad stream entry";
            return NGX_ERROR;
        }

        if (f->len == 4 && ngx_strncmp(f->str, "node", 4) == 0) {
            entry->node.data = (u_char *) v->str;
            entry->node.len = v->len;

        } else if (f->len == 4 && ngx_strncmp(f->str, "kind", 4) == 0) {
            if (v->len == 1 && v->str[0] == 'r') {
                kind = NGX_HTTP_SESSION_FLEET_RECORD;

            } else if (v->len == 1 && v->str[0] == 't') {
                kind = NGX_HTTP_SESSION_FLEET_TOUCH;
            }

        } else if (f->len == 3 && ngx_strncmp(f->str, "sid", 3) == 0) {
            if (ngx_http_session_parse_sid((u_char *) v->str, v->len,
                                           entry->digest)
                != NGX_OK)
            {
                *error = "a bad sid in a stream entry";
                return NGX_ERROR;
            }

            sid = 1;

        } else if (f->len == 1 && f->str[0] == 'd') {
            entry->touches.data = (u_char *) v->str;
            entry->touches.len = v->len;

        } else if (f->len == 3 && ngx_strncmp(f->str, "seq", 3) == 0) {
            if (ngx_http_session_fleet_number((u_char *) v->str, v->len,
                                              UINT64_MAX, &entry->n)
                != NGX_OK)
            {
                *error = "a bad number in a stream entry";
                return NGX_ERROR;
            }
        }
    }

    if (entry->node.len == 0
        || (kind == NGX_HTTP_SESSION_FLEET_RECORD && !sid)
        || (kind == NGX_HTTP_SESSION_FLEET_TOUCH && entry->touches.len == 0))
    {
        *error = "a stream entry of no known kind";
        return NGX_ERROR;
    }

    entry->kind = kind;

    return NGX_OK;
}


/*
 * XREVRANGE ... COUNT 1: the stream's last entry, its id and number
 * (0-0 and 0 when the stream is empty or missing).  NGX_DECLINED: an
 * entry this module did not write ("error" says why), its id only.
 */

ngx_int_t
ngx_http_session_fleet_decode_last(redisReply *reply,
    ngx_http_session_fleet_entry_t *entry, const char **error)
{
    redisReply  *e;

    ngx_memzero(entry, sizeof(ngx_http_session_fleet_entry_t));

    if (reply->type == REDIS_REPLY_NIL
        || (reply->type == REDIS_REPLY_ARRAY && reply->elements == 0))
    {
        return NGX_OK;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1) {
        *error = "not a stream's last entry";
        return NGX_ERROR;
    }

    if (ngx_http_session_fleet_decode_entry(reply->element[0], entry, error)
        == NGX_OK)
    {
        return NGX_OK;
    }

    /*
     * An entry someone else wrote: where it is still counts, so the
     * node follows the stream from there, without its number.
     */

    e = reply->element[0];

    if (e->type == REDIS_REPLY_ARRAY && e->elements == 2
        && e->element[0] && e->element[0]->type == REDIS_REPLY_STRING
        && ngx_http_session_fleet_parse_id((u_char *) e->element[0]->str,
                                           e->element[0]->len, &entry->id)
           == NGX_OK)
    {
        entry->kind = 0;
        entry->n = 0;
        return NGX_DECLINED;
    }

    return NGX_ERROR;
}


/* SCAN's answer: [CURSOR, [KEY, ...]] */

ngx_int_t
ngx_http_session_fleet_decode_scan(redisReply *reply, uint64_t *cursor,
    redisReply **keys, const char **error)
{
    size_t       i;
    redisReply  *c, *k;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        *error = "not a SCAN answer";
        return NGX_ERROR;
    }

    c = reply->element[0];
    k = reply->element[1];

    if (c == NULL || c->type != REDIS_REPLY_STRING
        || ngx_http_session_fleet_number((u_char *) c->str, c->len,
                                         UINT64_MAX, cursor)
           != NGX_OK)
    {
        *error = "a bad SCAN cursor";
        return NGX_ERROR;
    }

    if (k == NULL || k->type != REDIS_REPLY_ARRAY) {
        *error = "not a SCAN answer";
        return NGX_ERROR;
    }

    for (i = 0; i < k->elements; i++) {
        if (k->element[i] == NULL
            || k->element[i]->type != REDIS_REPLY_STRING)
        {
            *error = "a SCAN key that is not a string";
            return NGX_ERROR;
        }
    }

    *keys = k;

    return NGX_OK;
}


/*
 * XINFO STREAM's answer, a field list: its length, the entries ever
 * added, the last id given, the largest id deleted (XDEL; Redis 7), and
 * the first entry's id (0-0 when empty).  Fields it lacks stay 0.
 */

ngx_int_t
ngx_http_session_fleet_decode_info(redisReply *reply,
    ngx_http_session_fleet_info_t *info, const char **error)
{
    size_t                        i;
    redisReply                   *f, *v;
    ngx_http_session_fleet_id_t  *id;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2) {
        *error = "not a stream's information";
        return NGX_ERROR;
    }

    ngx_memzero(info, sizeof(ngx_http_session_fleet_info_t));

    for (i = 0; i < reply->elements; i += 2) {
        f = reply->element[i];
        v = reply->element[i + 1];

        if (f == NULL || v == NULL || f->type != REDIS_REPLY_STRING) {
            *error = "not a stream's information";
            return NGX_ERROR;
        }

        id = NULL;

        if (f->len == 6 && ngx_strncmp(f->str, "length", 6) == 0) {
            if (v->type != REDIS_REPLY_INTEGER || v->integer < 0) {
                *error = "a bad stream length";
                return NGX_ERROR;
            }

            info->length = (uint64_t) v->integer;

        } else if (f->len == 13
                   && ngx_strncmp(f->str, "entries-added", 13) == 0)
        {
            if (v->type != REDIS_REPLY_INTEGER || v->integer < 0) {
                *error = "a bad count of entries";
                return NGX_ERROR;
            }

            info->added = (uint64_t) v->integer;
            info->counted = 1;

        } else if (f->len == 17
                   && ngx_strncmp(f->str, "last-generated-id", 17) == 0)
        {
            id = &info->last;

        } else if (f->len == 20
                   && ngx_strncmp(f->str, "max-deleted-entry-id", 20) == 0)
        {
            id = &info->deleted;

        } else if (f->len == 11 && ngx_strncmp(f->str, "first-entry", 11) == 0
                   && v->type == REDIS_REPLY_ARRAY)
        {
            if (v->elements != 2 || v->element[0] == NULL) {
                *error = "a bad first entry";
                return NGX_ERROR;
            }

            v = v->element[0];
            id = &info->first;
        }

        if (id
            && (v->type != REDIS_REPLY_STRING
                || ngx_http_session_fleet_parse_id((u_char *) v->str,
                                                   v->len, id)
                   != NGX_OK))
        {
            *error = "a bad stream entry id";
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* a session's key, PREFIX "s:" SID; NGX_DECLINED for any other key */

ngx_int_t
ngx_http_session_fleet_key_sid(ngx_str_t *key, ngx_str_t *prefix,
    u_char *digest)
{
    if (key->len != prefix->len + 2 + NGX_HTTP_SESSION_SID_LEN
        || ngx_memcmp(key->data, prefix->data, prefix->len) != 0
        || key->data[prefix->len] != 's'
        || key->data[prefix->len + 1] != ':')
    {
        return NGX_DECLINED;
    }

    if (ngx_http_session_parse_sid(key->data + prefix->len + 2,
                                   NGX_HTTP_SESSION_SID_LEN, digest)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* "MS-SEQ" */

ngx_int_t
ngx_http_session_fleet_parse_id(u_char *p, size_t len,
    ngx_http_session_fleet_id_t *id)
{
    u_char  *dash;

    dash = ngx_strlchr(p, p + len, '-');

    if (dash == NULL
        || ngx_http_session_fleet_number(p, dash - p, UINT64_MAX,
                                         &id->ms)
           != NGX_OK
        || ngx_http_session_fleet_number(dash + 1, p + len - dash - 1,
                                         UINT64_MAX, &id->seq)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


u_char *
ngx_http_session_fleet_id_text(u_char *p, ngx_http_session_fleet_id_t *id)
{
    return ngx_sprintf(p, "%uL-%uL", id->ms, id->seq);
}


/* an integer reply */

ngx_int_t
ngx_http_session_fleet_integer(redisReply *reply, int64_t *n)
{
    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        return NGX_ERROR;
    }

    *n = reply->integer;

    return NGX_OK;
}


/* decimal digits only, at most "max" */

static ngx_int_t
ngx_http_session_fleet_number(u_char *p, size_t len, uint64_t max,
    uint64_t *n)
{
    uint64_t  v, d;
    size_t    i;

    if (len == 0 || len > NGX_INT64_LEN) {
        return NGX_ERROR;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return NGX_ERROR;
        }

        d = p[i] - '0';

        if (v > (max - d) / 10) {
            return NGX_ERROR;
        }

        v = v * 10 + d;
    }

    *n = v;

    return NGX_OK;
}


/* the names the configuration allows: letters, digits, "_", "-" (".") */

static ngx_int_t
ngx_http_session_fleet_name_ok(u_char *p, size_t len, size_t max,
    ngx_uint_t dots)
{
    u_char  c;
    size_t  i;

    if (len == 0 || len > max) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = p[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '_' || c == '-'
            || (dots && c == '.'))
        {
            continue;
        }

        return 0;
    }

    return 1;
}
