"""Monit examples, as text: Debian's /etc/monit/conf-available/* and /etc/monit/templates/*
(monit 1:5.33.0-1), and representative stanzas of Monit's manual."""

# ruff: noqa: E501  (the examples are verbatim, long lines included)

from __future__ import annotations

DEBIAN: dict[str, str] = {
    "acpid": """\
 check process acpid with pidfile "/var/run/acpid.pid"
   group system
   group acpid
   start program = "/etc/init.d/acpid start"
   stop program  = "/etc/init.d/acpid stop"
   if 5 restarts within 5 cycles then timeout
   depends on acpid_bin
   depends on acpid_rc

 check file acpid_bin with path "/usr/sbin/acpid"
   group acpid
   include /etc/monit/templates/rootbin

 check file acpid_rc with path "/etc/init.d/acpid"
   group acpid
   include /etc/monit/templates/rootbin
""",
    "apache2": """\
 check process apache with pidfile /var/run/apache2/apache2.pid
   group www
   group apache
   start program = "/etc/init.d/apache2 start"
   stop program  = "/etc/init.d/apache2 stop"
   if 4 restarts within 20 cycles then timeout
   if failed host localhost port 80 with protocol http and request "/server-status" with timeout 25 seconds for 4 times within 5 cycles then restart
   depend apache_bin
   depend apache_rc

 check file apache_bin with path /usr/sbin/apache2
   group apache
   include /etc/monit/templates/rootbin

 check file apache_rc with path /etc/init.d/apache2
   group apache
   include /etc/monit/templates/rootbin
""",
    "at": """\
 check process atd with pidfile "/var/run/atd.pid"
   group system
   group atd
   start program = "/etc/init.d/atd start"
   stop program  = "/etc/init.d/atd stop"
   if 5 restarts within 5 cycles then timeout
   depends on atd_bin
   depends on atd_rc

 check file atd_bin with path "/usr/sbin/atd"
   group atd
   include /etc/monit/templates/rootbin

 check file atd_rc with path "/etc/init.d/atd"
   group atd
   include /etc/monit/templates/rootbin
""",
    "cron": """\
 check process crond with pidfile /var/run/crond.pid
   group system
   group crond
   start program = "/etc/init.d/cron start"
   stop  program = "/etc/init.d/cron stop"
   if 5 restarts with 5 cycles then timeout
   depend cron_bin
   depend cron_rc
   depend cron_spool

 check file cron_bin with path /usr/sbin/cron
   group crond
   include /etc/monit/templates/rootbin

 check file cron_rc with path "/etc/init.d/cron"
   group crond
   include /etc/monit/templates/rootbin

 check directory cron_spool with path /var/spool/cron/crontabs
   group crond
   if failed permission 1730 then unmonitor
   if failed uid root        then unmonitor
   if failed gid crontab     then unmonitor
""",
    "mdadm": """\
 check process mdadm with pidfile /var/run/mdadm/monitor.pid
   group system
   group mdadm
   start program = "/etc/init.d/mdadm start"
   stop  program = "/etc/init.d/mdadm stop"
   if 5 restarts with 5 cycles then timeout
   depend mdadm_bin
   depend mdadm_rc
   depend mdadm_conf

 check file mdadm_bin with path /sbin/mdadm
   group mdadm
   include /etc/monit/templates/rootbin

 check file mdadm_conf with path /etc/mdadm/mdadm.conf
   group mdadm
   include /etc/monit/templates/rootrc

 check file mdadm_rc with path "/etc/init.d/mdadm"
   group mdadm
   include /etc/monit/templates/rootbin
""",
    "memcached": """\
 check process memcache with pidfile /var/run/memcached.pid
   group cache
   group memcached
   start program = "/etc/init.d/memcached start"
   stop program  = "/etc/init.d/memcached stop"
   if failed host 127.0.0.1 port 11211 and protocol memcache then restart
   if cpu > 60% for 2 cycles then alert
   if cpu > 98% for 5 cycles then restart
   if 5 restarts within 20 cycles then timeout
   depend memcache_bin
   depend memcache_rc

 check file memcache_bin with path /usr/bin/memcached
   group memcached
   include /etc/monit/templates/rootbin

 check file memcache_rc with path /etc/init.d/memcached
   group memcached
   include /etc/monit/templates/rootbin
""",
    "mysql": """\
 check process mysqld with pidfile /var/run/mysqld/mysqld.pid
   group database
   group mysql
   start program = "/etc/init.d/mysql start"
   stop  program = "/etc/init.d/mysql stop"
   if failed host localhost port 3306 protocol mysql with timeout 15 seconds for 3 times within 4 cycles then restart
   if failed unixsocket /var/run/mysqld/mysqld.sock protocol mysql for 3 times within 4 cycles then restart
   if 5 restarts with 5 cycles then timeout
   depend mysql_bin
   depend mysql_rc

 check file mysql_bin with path /usr/sbin/mysqld
   group mysql
   include /etc/monit/templates/rootbin

 check file mysql_rc with path /etc/init.d/mysql
   group mysql
   include /etc/monit/templates/rootbin
""",
    "nginx": """\
 check process nginx with pidfile /var/run/nginx.pid
   group www
   group nginx
   start program = "/etc/init.d/nginx start"
   stop program = "/etc/init.d/nginx stop"
#  if failed port 80 protocol http request "/" then restart
   if 5 restarts with 5 cycles then timeout
   depend nginx_bin
   depend nginx_rc

 check file nginx_bin with path /usr/sbin/nginx
   group nginx
   include /etc/monit/templates/rootbin

 check file nginx_rc with path /etc/init.d/nginx
   group nginx
   include /etc/monit/templates/rootbin
""",
    "openntpd": """\
 check process ntpd with pidfile /var/run/openntpd.pid
   group system
   group ntpd
   start program = "/etc/init.d/openntpd start"
   stop  program = "/etc/init.d/openntpd stop"
   if 4 restarts within 12 cycles then timeout
   depend ntpd_bin
   depend ntpd_rc

 check file ntpd_bin with path /usr/sbin/ntpd
   group ntpd
   include /etc/monit/templates/rootbin

 check file ntpd_rc with path /etc/init.d/openntpd
   group ntpd
   include /etc/monit/templates/rootbin
""",
    "openssh-server": """\
 check process sshd with pidfile /var/run/sshd.pid
   group system
   group sshd
   start program = "/etc/init.d/ssh start"
   stop  program = "/etc/init.d/ssh stop"
   if failed host localhost port 22 with proto ssh then restart
   if 5 restarts with 5 cycles then timeout
   depend on sshd_bin
   depend on sftp_bin
   depend on sshd_rc
   depend on sshd_rsa_key
   depend on sshd_dsa_key

 check file sshd_bin with path /usr/sbin/sshd
   group sshd
   include /etc/monit/templates/rootbin

 check file sftp_bin with path /usr/lib/openssh/sftp-server
   group sshd
   include /etc/monit/templates/rootbin

 check file sshd_rsa_key with path /etc/ssh/ssh_host_rsa_key
   group sshd
   include /etc/monit/templates/rootstrict

 check file sshd_dsa_key with path /etc/ssh/ssh_host_dsa_key
   group sshd
   include /etc/monit/templates/rootstrict

 check file sshd_ecdsa_key with path /etc/ssh/ssh_host_ecdsa_key
   group sshd
   include /etc/monit/templates/rootstrict

 check file sshd_ed25519_key with path /etc/ssh/ssh_host_ed25519_key
   group sshd
   include /etc/monit/templates/rootstrict

 check file sshd_rc with path /etc/ssh/sshd_config
   group sshd
   include /etc/monit/templates/rootrc
""",
    "pdns-recursor": """\
 check process pdns-recursor with pidfile /var/run/pdns_recursor.pid
   group system
   group dns
   group pdns-recursor
   start program = "/etc/init.d/pdns-recursor start"
   stop program = "/etc/init.d/pdns-recursor stop"
   if failed host 127.0.0.1 port 53 type udp protocol dns for 3 times within 4 cycles then restart
   if 5 restarts within 20 cycles then timeout
   depend pdns-recursor_bin
   depend pdns-recursor_rc

 check file pdns-recursor_bin with path /usr/sbin/pdns_recursor
   group pdns-recursor
   include /etc/monit/templates/rootbin

 check file pdns-recursor_rc with path /etc/init.d/pdns-recursor
   group pnds-recursor
   include /etc/monit/templates/rootbin
""",
    "postfix": """\
 check process postfix with pidfile /var/spool/postfix/pid/master.pid
   group system
   group mail
   group postfix
   start program = "/etc/init.d/postfix start"
   stop  program = "/etc/init.d/postfix stop"
   if failed host localhost port 25 with protocol smtp for 2 times within 3 cycles then restart
   if 5 restarts with 5 cycles then timeout
   depend master_bin
   depend postfix_rc
   depend postdrop_bin
   depend postqueue_bin
   depend master_cf
   depend main_cf

 check file master_bin with path /usr/lib/postfix/sbin/master
   group postfix
   include /etc/monit/templates/rootbin

 check file postdrop_bin with path /usr/sbin/postdrop
   group postfix
   if failed checksum        then unmonitor
   if failed permission 2555 then unmonitor
   if failed uid root        then unmonitor
   if failed gid postdrop    then unmonitor

 check file postqueue_bin with path /usr/sbin/postqueue
   group postfix
   if failed checksum        then unmonitor
   if failed permission 2555 then unmonitor
   if failed uid root        then unmonitor
   if failed gid postdrop    then unmonitor

 check file master_cf with path /etc/postfix/master.cf
   group postfix
   include /etc/monit/templates/rootrc

 check file main_cf with path /etc/postfix/main.cf
   group postfix
   include /etc/monit/templates/rootrc

 check file postfix_rc with path /etc/init.d/postfix
   group postfix
   include /etc/monit/templates/rootbin
""",
    "rsyslog": """\
 check process rsyslogd with pidfile /var/run/rsyslogd.pid
   group system
   group rsyslogd
   start program = "/etc/init.d/rsyslog start"
   stop  program = "/etc/init.d/rsyslog stop"
   if 5 restarts with 5 cycles then timeout
   depend on rsyslogd_bin
   depend on rsyslogd_rc
   depend on rsyslog_file

 check file rsyslogd_bin with path /usr/sbin/rsyslogd
   group rsyslogd
   include /etc/monit/templates/rootbin

 check file rsyslogd_rc with path "/etc/init.d/rsyslog"
   group rsyslogd
   include /etc/monit/templates/rootbin

 check file rsyslog_file with path /var/log/syslog
   group rsyslogd
   # Note: activate the immark plugin for rsyslog if
   # your system is too low on events.
   if timestamp > 65 minutes then alert
   if failed permission 640  then unmonitor
   if failed uid root        then unmonitor
   if failed gid adm         then unmonitor
""",
    "smartmontools": """\
 check process smartd with pidfile /var/run/smartd.pid
   group system
   group smartd
   start program = "/etc/init.d/smartmontools start"
   stop  program = "/etc/init.d/smartmontools stop"
   if 5 restarts with 5 cycles then timeout
   depend smartd_bin
   depend smartd_rc

 check file smartd_bin with path /usr/sbin/smartd
   group smartd
   include /etc/monit/templates/rootbin

 check file smartd_rc with path "/etc/init.d/smartmontools"
   group smartd
   include /etc/monit/templates/rootbin
""",
    "snmpd": """\
 check process snmpd with pidfile /var/run/snmpd.pid
   start program = "/etc/init.d/snmpd start"
   stop  program = "/etc/init.d/snmpd stop"
   if failed host localhost port 161 type udp then restart
   if failed host localhost port 199 type tcp then restart
   if 5 restarts within 5 cycles then timeout
""",
}

TEMPLATES: dict[str, str] = {
    "rootbin": """\
 if failed checksum       then unmonitor
 if failed permission 755 then unmonitor
 if failed uid root       then unmonitor
 if failed gid root       then unmonitor
""",
    "rootrc": """\
 if changed checksum      then alert
 if failed permission 644 then unmonitor
 if failed uid root       then unmonitor
 if failed gid root       then unmonitor
""",
    "rootstrict": """\
 if failed checksum       then unmonitor
 if failed permission 600 then unmonitor
 if failed uid root       then unmonitor
 if failed gid root       then unmonitor
""",
}

MANUAL = """\
set daemon 60
  with start delay 240
set log syslog
set mailserver smtp.example.org port 587
    username "monit" password "hunter2-secret"
    using tls
    with timeout 15 seconds,
    backup.example.org
set mail-format { from: monit@host.example.org }
set alert ops@example.org not on { instance, action }
set httpd port 2812 and
    use address localhost
    allow admin:monit

check system $HOST
  if loadavg (1min) > 4 then alert
  if loadavg (5min) per core > 1.5 for 10 cycles then alert
  if cpu usage > 95% for 10 cycles then alert
  if memory usage > 75% then alert
  if swap usage > 25% then alert

check filesystem rootfs with path /
  if space usage > 80% for 5 times within 15 cycles then alert
  if space free < 1 GB then alert
  if inode usage > 90% then alert

check filesystem datafs with path /dev/sdb1
  if space usage > 99% then stop

check process nginx matching "nginx: master"
  start program = "/usr/bin/systemctl start nginx"
  stop program = "/usr/bin/systemctl stop nginx"
  if failed port 443 protocol https request "/health" with timeout 10 seconds then restart
  if totalmem > 200.0 MB for 5 cycles then restart
  if children > 250 then restart
  if 3 restarts within 5 cycles then unmonitor
  depends on nginx_conf

check process worker matching "^/usr/bin/worker --queue [a-z]+$"
  start program = "/usr/bin/worker-start"

check process app with pidfile /run/app.pid
  start program = "/opt/app/bin/app start" as uid app and gid app with timeout 60 seconds
  restart program = "/opt/app/bin/app restart"
  if failed url http://127.0.0.1:8080/ping with timeout 5 seconds for 2 cycles then restart
  if memory > 512 MB then exec "/opt/app/bin/dump-heap --pid-file /run/app.pid" as uid app
     else if succeeded then alert
  if cpu > 80% for 3 cycles then restart
  every 2 cycles
  alert dev@example.org on { timeout }

check host myserver with address 192.168.1.1
  if failed ping then alert
  if failed port 3306 protocol mysql with timeout 15 seconds then alert
  if failed port 80 protocol http and request "/index.html" then alert

check file nginx_conf with path /etc/nginx/nginx.conf
  if changed checksum then exec "/usr/bin/systemctl reload nginx"

check program backup with path "/usr/local/bin/backup.sh --verify" with timeout 600 seconds
  every "0 3 * * *"
  if status != 0 then alert

check network public with interface eth0
  if link down then alert
  if saturation > 90% then alert

check directory spool with path /var/spool/app
  if timestamp > 15 minutes then alert
"""
