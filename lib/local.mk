# lib/local.mk: the base library (base -> io -> mail layers).
noinst_LIBRARIES += lib/libsluice_lib.a
lib_libsluice_lib_a_SOURCES = \
	lib/common.h \
	lib/alloc.c lib/alloc.h \
	lib/arena.c lib/arena.h \
	lib/buffer.c lib/buffer.h \
	lib/string_view.c lib/string_view.h \
	lib/log.c lib/log.h \
	lib/error.c lib/error.h \
	lib/loop.c lib/loop.h \
	lib/connection.c lib/connection.h \
	lib/tls_context.c lib/tls_context.h \
	lib/worker_pool.c lib/worker_pool.h

check_PROGRAMS += \
	tests/unit/test_alloc \
	tests/unit/test_arena \
	tests/unit/test_buffer \
	tests/unit/test_string_view \
	tests/unit/test_log \
	tests/unit/test_loop \
	tests/unit/test_connection \
	tests/unit/test_tls_context \
	tests/unit/test_worker_pool
