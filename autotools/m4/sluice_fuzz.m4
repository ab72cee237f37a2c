dnl sluice_fuzz.m4: --enable-fuzz builds libFuzzer targets under tests/fuzz (needs clang).
AC_DEFUN([SLUICE_FUZZ], [
  AC_ARG_ENABLE([fuzz],
    [AS_HELP_STRING([--enable-fuzz], [build libFuzzer targets (CC=clang)])],
    [], [enable_fuzz=no])
  AM_CONDITIONAL([FUZZ], [test "x$enable_fuzz" = xyes])
])
