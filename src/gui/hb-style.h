/* hb-style.h - loads the application's stylesheet once per display
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

void hb_load_style (void);
