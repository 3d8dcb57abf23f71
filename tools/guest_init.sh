#!/bin/sh
# PID 1 of the guest that tools/capture_guest.py boots: busybox only, no disk,
# no network. It starts a few user processes, each with its own address space,
# and says so on the console; the capture script waits for CAPTURE-READY and
# then stops the CPU until it catches one of the busy loops at CPL 3.
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

sh -c 'while :; do :; done' &            # busy loop 1: spends its time at CPL 3
busy1=$!
sh -c 'i=0; while :; do i=$((i+1)); done' &   # busy loop 2: same, another mm
busy2=$!
sleep 1000000 &                          # sleepers: address spaces that exist
sh -c 'while :; do sleep 3600; done' &   # but are never on the CPU
echo "capture: busy loops $busy1 $busy2"
ps
echo "capture: CAPTURE-READY"
while :; do sleep 3600; done
