/* stratum-listen: the edge analyser alone, for sensor boxes; the same command as `stratum listen`.
 */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The all-in-one `stratum` binary maps some fifty shared libraries (dashboard,
 * store, graph and text analysis...); on a live stream their relocated data
 * and touched code alone come to about 10 MB of resident memory. An edge box
 * needs only the analyser and the publisher: this program links just them
 * (with --as-needed), so the analyser keeps to its 8 MB budget (issue 3;
 * tests/integration/listen_memory.sh).
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return st_cmd_listen(argc, argv); /* argv[0] stands where "listen" would */
}
