/* Audit hooks: one function per kind of event the audit chain records
 * (actuation, episode assignment, rule or config change, device change,
 * evidence import), each writing one record with a canonical JSON detail. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_AUDIT_HOOK_H
#define STRATUM_AUDIT_HOOK_H

#include <stdint.h>
#include "stratum/audit.h"
#include "stratum/policy.h"

/* Every hook takes the chain (borrowed; NULL makes the hook a no-op that
 * returns 0) and borrowed strings, and returns the record's sequence number
 * (> 0), 0 for a NULL chain, or a negative errno (-EINVAL for missing fields,
 * -ENOSPC if the detail would exceed 2 KiB, errors of st_audit_append). */

/* kind "actuation", actor "engine", subject the zone: the intervention, its
 * store id (0 if not stored) and the experiment arm it ran under (NULL = none). */
int64_t st_audit_hook_actuation(st_audit *a, const st_intervention *iv, int64_t id,
                                const char *arm);

/* kind "assignment", actor "engine", subject the zone: an episode's arm, fixed
 * before its outcome is known. */
int64_t st_audit_hook_assignment(st_audit *a, double t, const char *zone, int64_t episode_id,
                                 const char *stratum, const char *policy, const char *arm,
                                 uint64_t seed, int64_t draw);

/* kind "config", subject the key ("engine.hold_s", "rule.tense.scene"...):
 * old and new values as text (NULL = absent). */
int64_t st_audit_hook_config(st_audit *a, double t, const char *actor, const char *key,
                             const char *old_value, const char *new_value);

/* kind "device", subject the device id: action ("add", "revoke", "rotate",
 * "policy"...) and a free note (may be NULL). */
int64_t st_audit_hook_device(st_audit *a, double t, const char *actor, const char *device,
                             const char *action, const char *note);

/* kind "evidence-import", subject the bundle file: its city, signing key and
 * SHA-256 (hex), cells and episodes imported. */
int64_t st_audit_hook_import(st_audit *a, double t, const char *actor, const char *file,
                             const char *city, const char *pk_hex, const char *sha256_hex,
                             long cells, long episodes);

#endif
