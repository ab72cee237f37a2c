/* test_imap_search.c: placeholder replaced below. */
#include "mailstore/imap_search.h"
#include "tests/unit/harness.h"
int
main(void)
{
	return 0;
}
