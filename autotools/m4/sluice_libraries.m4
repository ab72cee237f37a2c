dnl sluice_libraries.m4: every library from ARCHITECTURE.md, via pkg-config where
dnl Debian ships a .pc file, else header+library probes. A miss names the package.
AC_DEFUN([SLUICE_REQUIRE_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([missing $2: install the Debian package $3])])
])
AC_DEFUN([SLUICE_REQUIRE_LIB], [
  AC_CHECK_HEADER([$2], [],
    [AC_MSG_ERROR([missing $2: install the Debian package $5])], [$7])
  sluice_save_LIBS="$LIBS"
  AC_CHECK_LIB([$3], [$4], [$1_LIBS="-l$3 $6"],
    [AC_MSG_ERROR([missing lib$3: install the Debian package $5])], [$6])
  LIBS="$sluice_save_LIBS"
  AC_SUBST([$1_LIBS])
])
AC_DEFUN([SLUICE_LIBRARIES], [
  SLUICE_REQUIRE_PKG([OPENSSL], [openssl >= 3.0], [libssl-dev])
  SLUICE_REQUIRE_PKG([LIBEVENT], [libevent >= 2.1 libevent_openssl libevent_pthreads], [libevent-dev])
  SLUICE_REQUIRE_PKG([PCRE2], [libpcre2-8], [libpcre2-dev])
  SLUICE_REQUIRE_PKG([SQLITE], [sqlite3 >= 3.35], [libsqlite3-dev])
  SLUICE_REQUIRE_PKG([UNBOUND], [libunbound], [libunbound-dev])
  SLUICE_REQUIRE_PKG([CLAMAV], [libclamav], [libclamav-dev])
  SLUICE_REQUIRE_PKG([CRYPT], [libcrypt], [libcrypt-dev])
  SLUICE_REQUIRE_PKG([ZLIB], [zlib], [zlib1g-dev])
  PKG_CHECK_MODULES([OPENDKIM], [opendkim], [],
    [SLUICE_REQUIRE_LIB([OPENDKIM], [opendkim/dkim.h], [opendkim], [dkim_init], [libopendkim-dev])])
  dnl libspf2 and libmilter ship no .pc file on Debian 12.
  SLUICE_REQUIRE_LIB([SPF2], [spf2/spf.h], [spf2], [SPF_server_new], [libspf2-dev], [], [AC_INCLUDES_DEFAULT
#include <netinet/in.h>])
  SLUICE_REQUIRE_LIB([MILTER], [libmilter/mfapi.h], [milter], [smfi_main], [libmilter-dev], [-lpthread], [AC_INCLUDES_DEFAULT])
  AX_PTHREAD_SIMPLE
])
AC_DEFUN([AX_PTHREAD_SIMPLE], [
  PTHREAD_CFLAGS="-pthread"
  PTHREAD_LIBS="-pthread"
  AC_SUBST([PTHREAD_CFLAGS])
  AC_SUBST([PTHREAD_LIBS])
])
