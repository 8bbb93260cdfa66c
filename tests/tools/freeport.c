/*
 * freeport.c -- print a free TCP port on 127.0.0.1 (test helper).
 *
 * Binds port 0, reads the port the kernel chose, prints it, closes.
 * The kernel does not hand the same ephemeral port out again at once,
 * so the race with another test is small; start_nginx retries on
 * "Address already in use" anyway.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		perror("freeport: socket");
		return 1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		perror("freeport: bind");
		return 1;
	}
	printf("%u\n", (unsigned)ntohs(sin.sin_port));
	close(fd);
	return 0;
}
