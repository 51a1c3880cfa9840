/* The library's version at run time, for a program built against another. */
#include "procmon.h"

const char *pm_version(void)
{
    return PM_VERSION;
}
