/* heartbeat-lab.h - the core library in one include
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hb-protocol.h"
#include "hb-lab.h"
#include "hb-boundary.h"
#include "hb-timeline.h"
#include "hb-connection.h"
#include "hb-server.h"
#include "hb-client.h"
#include "hb-farewell.h"
#include "hb-check-board.h"
#include "hb-server-check.h"
#include "hb-tcp-info.h"
#include "hb-live-capture.h"
#include "hb-packet.h"
#include "hb-conversation.h"
#include "hb-capture-file.h"
#include "hb-capture-writer.h"
#include "hb-pcap-stream.h"
#include "hb-enums.h"
