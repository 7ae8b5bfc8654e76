# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""replay: many simulated nats-server monitoring ports from answers recorded from real servers.

model.py (the deployment: servers, clusters, gateways, stream placement; pure), recorded.py (the
recorded bodies used as templates), answers.py (each endpoint's answer for one server), serve.py
(the HTTP listeners, one per simulated server address), __main__.py (the command line).
Used by `make bench` (bench/replay_scale.py) for what no machine here can run for real: 100 and
more servers, 10,000 streams, 50,000 connections."""
