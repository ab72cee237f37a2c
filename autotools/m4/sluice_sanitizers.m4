dnl sluice_sanitizers.m4: --enable-asan (AddressSanitizer + UBSan), --enable-ubsan.
AC_DEFUN([SLUICE_SANITIZERS], [
  AC_ARG_ENABLE([asan],
    [AS_HELP_STRING([--enable-asan], [build with AddressSanitizer and UBSan])],
    [], [enable_asan=no])
  AC_ARG_ENABLE([ubsan],
    [AS_HELP_STRING([--enable-ubsan], [build with UndefinedBehaviorSanitizer])],
    [], [enable_ubsan=no])
  SANITIZER_FLAGS=""
  AS_IF([test "x$enable_asan" = xyes],
    [SANITIZER_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"],
    [AS_IF([test "x$enable_ubsan" = xyes],
      [SANITIZER_FLAGS="-fsanitize=undefined -fno-sanitize-recover=undefined"])])
  dnl FORTIFY and ASan disagree about some intercepted calls.
  AS_IF([test -n "$SANITIZER_FLAGS"], [HARDENING_CFLAGS=`echo "$HARDENING_CFLAGS" | sed 's/-D_FORTIFY_SOURCE=2//'`])
  AC_SUBST([SANITIZER_FLAGS])
  AM_CONDITIONAL([SANITIZERS], [test -n "$SANITIZER_FLAGS"])
])
