dnl sluice_warnings.m4: compiler warnings; -Werror with --enable-werror or CI=true.
AC_DEFUN([SLUICE_WARNINGS], [
  AC_ARG_ENABLE([werror],
    [AS_HELP_STRING([--enable-werror], [treat warnings as errors (default under CI=true)])],
    [], [AS_IF([test "x$CI" = xtrue], [enable_werror=yes], [enable_werror=no])])
  SLUICE_CFLAGS="-std=c11 -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter"
  AS_IF([test "x$enable_werror" = xyes], [SLUICE_CFLAGS="$SLUICE_CFLAGS -Werror"])
  AC_SUBST([SLUICE_CFLAGS])
])
