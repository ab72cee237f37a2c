dnl sluice_hardening.m4: PIE, stack protector, FORTIFY and RELRO, on by default.
AC_DEFUN([SLUICE_HARDENING], [
  AC_ARG_ENABLE([hardening],
    [AS_HELP_STRING([--disable-hardening], [build without PIE/RELRO/FORTIFY/stack protector])],
    [], [enable_hardening=yes])
  HARDENING_CFLAGS=""
  HARDENING_LDFLAGS=""
  AS_IF([test "x$enable_hardening" = xyes], [
    HARDENING_CFLAGS="-fPIE -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fstack-clash-protection"
    HARDENING_LDFLAGS="-pie -Wl,-z,relro -Wl,-z,now"
  ])
  AC_SUBST([HARDENING_CFLAGS])
  AC_SUBST([HARDENING_LDFLAGS])
])
