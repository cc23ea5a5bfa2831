export { run, VERSION } from './main.js';
