# ngx_http_session_module: build, run and test on Debian 12.
#
#   make run            build the module and serve the demo on 127.0.0.1:8080
#   make test           build the module and run the Test::Nginx suite
#   make test-asan      the suite on nginx and the module built with ASan and
#                       UBSan (build/asan); any report fails
#   make test-valgrind  the suite under valgrind; errors and module leaks fail
#   make fuzz           every libFuzzer harness, FUZZ_SECONDS (60) each
#   make fuzz-ci        the same, 20 s each
#   make bench          the benchmark of one node (docs/benchmarks.md):
#                       100k and 1M sessions filled by requests, 10M from
#                       a generated state file, the Lua peer beside it;
#                       about an hour on 2 cores (BENCH_QUICK=1: small
#                       sizes, short rounds, about 3 minutes)
#   make bench-fleet    two nodes and an engine (docs/benchmarks-fleet.md)
#   make deb            the Debian package libnginx-mod-http-session in
#                       build/, built as Debian builds its nginx modules,
#                       then lintian
#   make test-deb       make deb, then install it, nginx -t, a smoke test,
#                       examples/t/ against it, purge (util/test-deb.sh)
#   make test-matrix    the suite on nginx 1.22.1 and 1.26.3, and a -Werror
#                       compile against 1.30's headers; MATRIX="1.26 1.30"
#                       picks versions (CI: make test runs 1.22 already)
#   make bench-login    the cost of reading login fields (bench/login.sh)
#
# TESTS="t/001-sanity.t ..." runs only some files (test, test-asan,
# test-valgrind).  All install what they need first (util/install-deps.sh);
# docs/memory-safety.md tells what each memory-safety target checks.

SHELL       := /bin/bash
ROOT        := $(CURDIR)
BUILD       := $(ROOT)/build
NGINX_SRC   ?= /usr/share/nginx/src
NGINX_BIN   ?= /usr/sbin/nginx
MODULE      := $(BUILD)/nginx/objs/ngx_http_session_module.so
SOURCES     := $(wildcard ngx_http_session_module/*.[ch]) config
PROVE_JOBS  ?= 1
TESTS       ?= t/

export TEST_NGINX_BINARY ?= $(NGINX_BIN)
export TEST_NGINX_SESSION_MODULE := $(MODULE)

MATRIX      ?= 1.22 1.26 1.30

.PHONY: all deps module run test test-valgrind test-asan fuzz fuzz-ci \
        bench bench-fleet bench-status bench-login soak lint clean deb \
        test-deb test-matrix dashboard

all: module

deps:
	@util/install-deps.sh test

module: $(MODULE)

# Debian's nginx-dev ships the headers and configure scripts of the very
# nginx it packages; a --with-compat module built against them loads
# into /usr/sbin/nginx.
$(BUILD)/nginx/objs/Makefile: config
	@util/install-deps.sh build
	rm -rf $(BUILD)/nginx
	mkdir -p $(BUILD)
	cp -a $(NGINX_SRC) $(BUILD)/nginx
	cd $(BUILD)/nginx && source ./conf_flags \
	    && ./configure "$${NGX_CONF_FLAGS[@]}" \
	       --with-cc-opt="-g -O2 -fPIC -Werror" \
	       --add-dynamic-module=$(ROOT) >$(BUILD)/configure.log 2>&1 \
	    || { tail -30 $(BUILD)/configure.log; exit 1; }

$(MODULE): $(BUILD)/nginx/objs/Makefile $(SOURCES)
	$(MAKE) -C $(BUILD)/nginx -f objs/Makefile modules

# the dashboard page is edited as HTML; the C header is committed, so
# only an edit of the page needs Perl
ngx_http_session_module/ngx_http_session_dashboard_page.h: \
        ngx_http_session_module/dashboard.html util/gen-dashboard.pl
	util/gen-dashboard.pl

dashboard: ngx_http_session_module/ngx_http_session_dashboard_page.h

run: deps module
	@util/run-demo.sh $(MODULE)

test: deps module
	@util/run-tests.sh $(TESTS)

test-valgrind: deps module
	@util/install-deps.sh valgrind
	@util/run-tests.sh --valgrind $(TESTS)

test-asan:
	@util/install-deps.sh asan
	@util/build-asan.sh
	@util/run-tests.sh --asan $(TESTS)

fuzz:
	@util/install-deps.sh fuzz
	@fuzz/run.sh $${FUZZ_SECONDS:-60}

fuzz-ci:
	@util/install-deps.sh fuzz
	@fuzz/run.sh $${FUZZ_SECONDS:-20}

bench: deps module
	@util/install-deps.sh bench
	@bench/run.sh $(MODULE)

bench-fleet: deps module
	@util/install-deps.sh bench
	@python3 bench/fleet.py $(MODULE)

bench-status: deps module
	@bench/status-cost.sh $(MODULE)

bench-login: deps module
	@util/install-deps.sh bench
	@bench/login.sh $(MODULE)

soak: deps module
	@util/install-deps.sh bench
	@util/soak.sh $(MODULE) $${SOAK_SECONDS:-60}

deb:
	@util/build-deb.sh

test-deb: deb
	@util/test-deb.sh

test-matrix:
	@util/install-deps.sh matrix
	@util/test-matrix.sh $(MATRIX)

lint:
	@util/lint.sh

clean:
	rm -rf $(BUILD) t/servroot* fuzz/bin fuzz/corpus-*
