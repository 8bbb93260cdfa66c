/*
 * exit3 -- a failing function: writes nothing and exits with status 3.
 * The gateway answers 502 and records outcome "error", exit_code 3.
 */

int
main(void)
{
	return 3;
}
