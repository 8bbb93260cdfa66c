<?php
/*
 * hello.php -- a PHP function, served by php-cgi as a fastcgi-mode
 * function (conf/fngw.ini's [fn.php]): each php-cgi instance stays warm
 * between requests, so the pid repeats, and fngw bills each request.
 */
header('Content-Type: text/plain');
$name = $_SERVER['FN_PARAM_NAME'] ?? ($_GET['name'] ?? 'world');
printf("Hello from PHP %s, %s!\n", PHP_VERSION, $name);
printf("pid=%d\n", getmypid());
printf("request_id=%s\n", $_SERVER['FN_REQUEST_ID'] ?? '-');
printf("method=%s\n", $_SERVER['REQUEST_METHOD'] ?? '-');
printf("body=%d\n", strlen(file_get_contents('php://input')));
